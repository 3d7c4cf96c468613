using Jimu.Tensors;

namespace Jimu.Layers;

/// <summary>
/// State a layer keeps and a model file saves, but no optimizer trains: PyTorch's buffers, such as BatchNorm's
/// <c>running_mean</c>, <c>running_var</c> (float32) and <c>num_batches_tracked</c> (an int64 scalar, shape []).
/// Exactly one of <see cref="Value"/> and <see cref="Int64"/> is set. Like a <see cref="Parameter"/> it has a
/// <see cref="Version"/>, bumped by its writers (BatchNorm's training pass, loading), so that what is derived from it
/// (BatchNorm folded into a convolution) is remade only when it changed.
/// </summary>
public sealed class LayerBuffer
{
    // Shared with the inference copies of a network, which view the same storage (ShareWith).
    private VersionCell _version = new();

    /// <summary>A float32 buffer.</summary>
    public LayerBuffer(string name, Tensor value)
    {
        Name = name;
        Value = value;
        Shape = value.Shape.ToArray();
    }

    /// <summary>An int64 buffer of <paramref name="shape"/> over <paramref name="int64"/> (not copied).</summary>
    public LayerBuffer(string name, long[] int64, params int[] shape)
    {
        if (Tensor.Count(shape) != int64.Length)
            throw new ArgumentException($"LayerBuffer '{name}': {int64.Length} values do not fill shape {Tensor.Format(shape)}.", nameof(int64));
        Name = name;
        Int64 = int64;
        Shape = shape;
    }

    /// <summary>Local name inside its layer, PyTorch style: "running_mean".</summary>
    public string Name { get; }

    /// <summary>The float32 values, or null for an int64 buffer.</summary>
    public Tensor? Value { get; }

    /// <summary>The int64 values, or null for a float32 buffer.</summary>
    public long[]? Int64 { get; }

    /// <summary>The buffer's shape ([] for a scalar).</summary>
    public int[] Shape { get; }

    /// <summary>How many times the values were changed (0 when new); see <see cref="Parameter.Version"/>.</summary>
    public long Version => _version.Read();

    /// <summary>Records that the values were written, so that caches derived from them are remade; call it after writing them directly.</summary>
    public void MarkChanged() => _version.Bump();

    /// <summary>Makes this float32 buffer view <paramref name="source"/>'s storage and version (an inference copy of a network).</summary>
    internal void ShareWith(LayerBuffer source)
    {
        if (Value is null || source.Value is null) throw new InvalidOperationException($"Buffer '{Name}': only float32 buffers are shared.");
        Value.ShareStorageOf(source.Value);
        _version = source._version;
    }

    /// <summary>A short description for messages and summaries.</summary>
    public override string ToString() => $"{Name}{Tensor.Format(Shape)}{(Int64 is null ? "" : " int64")}";
}
