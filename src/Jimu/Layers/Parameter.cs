using Jimu.Tensors;

namespace Jimu.Layers;

/// <summary>
/// A learnable tensor and the gradient of the loss with respect to it, with a <see cref="Version"/> that every
/// writer of <see cref="Value"/> bumps, so that what is derived from the weights (BatchNorm folded into the
/// convolution before it, Winograd's transformed kernels) is remade only when they changed.
/// </summary>
/// <remarks>
/// The library's own writers bump it: the optimizers' <see cref="Training.Optimizer.Step"/>, loading
/// (<see cref="Models.Model.Load(string, Models.Architecture?)"/>, <see cref="Models.Model.LoadWeightsFrom"/>,
/// <see cref="Models.Model.FromWeights"/>), <see cref="Models.Initializer"/> and <see cref="BatchNorm.ResetParameters"/>.
/// Code that writes <see cref="Value"/> directly (<c>p.Value.Span[i] = …</c>) must call <see cref="MarkChanged"/>
/// afterwards: until then predictions may keep using what was derived from the old values.
/// </remarks>
public sealed class Parameter
{
    // Shared with the inference copies of a network, whose parameters view the same storage (ShareWith).
    private VersionCell _version = new();

    /// <summary>A parameter of <paramref name="shape"/>, value and gradient zero.</summary>
    public Parameter(string name, params int[] shape)
    {
        Name = name;
        Value = new Tensor(shape);
        Grad = new Tensor(shape);
    }

    /// <summary>Local name inside its layer, PyTorch style: "weight" or "bias".</summary>
    public string Name { get; }
    /// <summary>The value the optimizer updates. After writing it directly, call <see cref="MarkChanged"/>.</summary>
    public Tensor Value { get; }
    /// <summary>dLoss/dValue, overwritten by every backward pass.</summary>
    public Tensor Grad { get; }
    /// <summary>Whether weight decay applies. PyTorch's SGD decays every parameter, so this defaults to true.</summary>
    public bool Decay { get; init; } = true;

    /// <summary>
    /// How many times <see cref="Value"/> was changed (0 when new): it only grows, and any two reads that give the
    /// same number saw the same values, provided every writer called <see cref="MarkChanged"/>.
    /// </summary>
    public long Version => _version.Read();

    /// <summary>
    /// Records that <see cref="Value"/> was written, so that caches derived from it are remade on their next use.
    /// Call it after writing the values directly; the optimizers, loading and initialisation call it themselves.
    /// Thread-safe; do not write values while another thread predicts with them.
    /// </summary>
    public void MarkChanged() => _version.Bump();

    /// <summary>
    /// The one <typeparamref name="T"/> shared by every view of this parameter's values (an inference copy's included):
    /// what a layer derives from them once for all copies. It must check <see cref="Version"/> itself.
    /// </summary>
    internal T Derived<T>() where T : class, new() => _version.Derived<T>();

    /// <summary>Makes this parameter view <paramref name="source"/>'s value, gradient and version (an inference copy of a network).</summary>
    internal void ShareWith(Parameter source)
    {
        Value.ShareStorageOf(source.Value);
        // Inference never writes a gradient: share it too, so the copy's own is not kept alive.
        Grad.ShareStorageOf(source.Grad);
        _version = source._version;
    }

    /// <summary>A short description for messages and summaries.</summary>
    public override string ToString() => $"{Name}{Value.ShapeString}";
}
