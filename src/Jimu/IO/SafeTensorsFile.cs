using Jimu.Tensors;

namespace Jimu.IO;

/// <summary>
/// The contents of a safetensors file as read by <see cref="SafeTensors.Read(string)"/>: every tensor converted
/// to float32, the dtype it was stored with, and the <c>__metadata__</c> strings.
/// </summary>
public sealed class SafeTensorsFile
{
    private readonly Dictionary<string, Tensor> _tensors;
    private readonly Dictionary<string, string> _dtypes;

    private readonly IReadOnlyDictionary<string, Int64Tensor> _int64;

    internal SafeTensorsFile(string name, IReadOnlyList<(string Name, string DType, Tensor Tensor)> entries, Dictionary<string, string> metadata,
        IReadOnlyDictionary<string, Int64Tensor>? int64 = null)
    {
        _int64 = int64 ?? new Dictionary<string, Int64Tensor>();
        Name = name;
        _tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        _dtypes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (n, dtype, tensor) in entries)
        {
            _tensors.Add(n, tensor);
            _dtypes.Add(n, dtype);
        }
        Names = entries.Select(e => e.Name).ToArray();
        Metadata = metadata;
    }

    /// <summary>The file it was read from, used in messages.</summary>
    public string Name { get; }

    /// <summary>Tensor names in the order their data is stored in the file.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Tensors by name, as float32.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors => _tensors;

    /// <summary>The <c>__metadata__</c> entries (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Number of tensors in the file.</summary>
    public int Count => _tensors.Count;

    /// <summary>The exact values of the tensors stored as I64 (also in <see cref="Tensors"/>, converted to float32).</summary>
    public IReadOnlyDictionary<string, Int64Tensor> Int64 => _int64;

    /// <summary>Whether the file holds a tensor of that name.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The dtype the tensor was stored with in the file ("F32", "F64", "F16", "BF16" or "I64").</summary>
    public string DTypeOf(string name) => _dtypes.TryGetValue(name, out var d) ? d : throw Missing(name);

    /// <summary>The tensor called <paramref name="name"/>; a missing name is a <see cref="ShapeMismatchException"/> (no <see cref="ShapeMismatchException.Actual"/>) listing the names present.</summary>
    public Tensor this[string name] => _tensors.TryGetValue(name, out var t) ? t : throw Missing(name);

    /// <summary>
    /// The tensor called <paramref name="name"/>, checked to have shape <paramref name="expectedShape"/>: a
    /// <see cref="ShapeMismatchException"/> with both shapes otherwise.
    /// </summary>
    public Tensor Get(string name, params ReadOnlySpan<int> expectedShape)
    {
        if (!_tensors.TryGetValue(name, out var t)) throw Missing(name, expectedShape.ToArray());
        if (!t.ShapeEquals(expectedShape))
            throw new ShapeMismatchException(Name, name, expectedShape.ToArray(), t.Shape.ToArray(), $"{Name}: tensor '{name}' has shape {t.ShapeString} but {Tensor.Format(expectedShape)} is expected; the file was saved from a different model architecture.");
        return t;
    }

    private ShapeMismatchException Missing(string name, int[]? expected = null)
    {
        string have = Names.Count == 0 ? "it holds no tensors" : "it holds " + string.Join(", ", Names.Take(20)) + (Names.Count > 20 ? ", ..." : "");
        return new ShapeMismatchException(Name, name, expected, null, $"{Name}: no tensor named '{name}' ({have}); the file was saved from a different model.");
    }
}
