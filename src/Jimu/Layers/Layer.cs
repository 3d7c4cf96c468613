using Jimu.Kernels;
using Jimu.Tensors;

namespace Jimu.Layers;

/// <summary>
/// A building block: <see cref="Forward"/> maps an input batch to an output batch and remembers
/// what <see cref="Backward"/> needs to map dLoss/dOutput to dLoss/dInput and the parameter gradients.
/// Output and gradient tensors are buffers owned by the layer and reused across calls:
/// they are valid until the next call of the same method.
/// </summary>
public abstract class Layer
{
    /// <summary>Name used in messages and as the prefix of parameter names ("conv1" → "conv1.weight").</summary>
    public string Name
    {
        get;
        set { field = value; _who = null; }
    }

    private string? _who;

    /// <summary>"Type 'name'", for messages; cached so that hot paths can pass it without allocating.</summary>
    protected string Who => _who ??= $"{GetType().Name} '{Name}'";

    /// <summary>A layer named <paramref name="name"/>.</summary>
    protected Layer(string name) => Name = name;

    /// <summary>
    /// The threads and scratch memory the layer's kernels run on. A <see cref="Models.Sequential"/> sets its own on
    /// each of its layers; a lone layer gets a one-thread context of its own. One caller at a time, as the layer itself.
    /// </summary>
    public ComputeContext Context
    {
        get => field ??= new ComputeContext(1);
        set => field = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Training mode (dropout active). Eval mode otherwise.</summary>
    public bool Training { get; set; } = true;

    /// <summary>
    /// When false, <see cref="Backward"/> computes only parameter gradients and returns null:
    /// the first layer of a network needs no input gradient.
    /// </summary>
    public bool InputGradientRequired { get; set; } = true;

    /// <summary>The trainable parameters, in PyTorch's order (weight before bias).</summary>
    public virtual IReadOnlyList<Parameter> Parameters => [];

    /// <summary>State saved with the model but not trained (BatchNorm's running statistics); see <see cref="LayerBuffer"/>.</summary>
    public virtual IReadOnlyList<LayerBuffer> Buffers => [];

    /// <summary>Output shape for an input shape (batch dimension included); throws <see cref="ShapeException"/> if the input does not fit.</summary>
    public abstract int[] OutputShape(ReadOnlySpan<int> inputShape);

    /// <summary>Maps an input batch to an output batch (a buffer owned by the layer, valid until the next call) and remembers what <see cref="Backward"/> needs.</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>Given dLoss/dOutput of the last <see cref="Forward"/>, sets every parameter's gradient and returns dLoss/dInput (null when not <see cref="InputGradientRequired"/>).</summary>
    public abstract Tensor? Backward(Tensor outputGradient);

    /// <summary>A short description of the hyper-parameters, for summaries.</summary>
    public virtual string Describe() => GetType().Name;

    /// <summary>Checks that <paramref name="x"/> is [N, <paramref name="channels"/>, H, W].</summary>
    protected Tensor Require4D(Tensor x, int channels)
    {
        if (x.Rank != 4)
            throw ShapeError("input", [ShapeException.Any, channels, ShapeException.Any, ShapeException.Any], x.Shape, "4-D NCHW");
        if (x.Dim(1) != channels)
            throw ShapeError("input", [ShapeException.Any, channels, ShapeException.Any, ShapeException.Any], x.Shape, $"{channels} input channels");
        return x;
    }

    /// <summary>A <see cref="ShapeException"/> naming this layer (type and name) for its <paramref name="argument"/>.</summary>
    private protected ShapeException ShapeError(string argument, int[]? expected, ReadOnlySpan<int> actual, string? requirement = null, string? hint = null) =>
        ShapeException.Of(this, argument, expected, actual, requirement, hint);

    /// <summary>
    /// For <see cref="Backward"/>: throws unless <see cref="Forward"/> ran (<paramref name="output"/> is its output)
    /// and <paramref name="outputGradient"/> has the output's shape.
    /// </summary>
    protected void CheckOutputGradient([System.Diagnostics.CodeAnalysis.NotNull] Tensor? output, Tensor outputGradient)
    {
        if (output is null) throw new InvalidOperationException($"{Who}: Backward called before Forward.");
        if (!outputGradient.ShapeEquals(output.Shape))
            throw ShapeError("output gradient", output.Shape.ToArray(), outputGradient.Shape, "the shape of its last output");
    }

    /// <summary>A short description for messages and summaries.</summary>
    public override string ToString() => $"{Name}: {Describe()}";
}
