using Jimu.Kernels;
using Jimu.Tensors;

namespace Jimu.Layers;

/// <summary>
/// What max and average pooling share: a kh×kw window moved with stride (sh, sw) over each channel of a padded
/// NCHW input, out = floor((in + padBefore + padAfter − k) / stride) + 1 per axis. The stride defaults to the window.
/// </summary>
public abstract class Pool2D : Layer
{
    private protected ConvGeometry _geometry;
    private protected int _batch = -1;
    // The strategy of the last forward pass (its backward pass must be the same one).
    private protected PoolStrategy _used = PoolStrategies.Direct;
    private protected Tensor? _output, _inputGradient;

    private protected Pool2D(string name, int kernelH, int kernelW, int strideH, int strideW, Padding padding, PoolAlgorithm algorithm)
        : base(name)
    {
        ConvGeometry.ValidateHyperParameters($"{GetType().Name} '{name}'", kernelH, kernelW, strideH, strideW);
        if (!Enum.IsDefined(algorithm))
            throw new ArgumentOutOfRangeException(nameof(algorithm), $"{GetType().Name} '{name}': unknown pooling algorithm {algorithm}.");
        KernelH = kernelH; KernelW = kernelW; StrideH = strideH; StrideW = strideW;
        Padding = padding;
        Algorithm = algorithm;
    }

    /// <summary>Window height.</summary>
    public int KernelH { get; }
    /// <summary>Window width.</summary>
    public int KernelW { get; }
    /// <summary>Vertical stride.</summary>
    public int StrideH { get; }
    /// <summary>Horizontal stride.</summary>
    public int StrideW { get; }
    /// <summary>The padding.</summary>
    public Padding Padding { get; }
    /// <summary>Algorithm of the next forward pass; the backward pass uses the one its forward pass used.</summary>
    public PoolAlgorithm Algorithm { get; set; }

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        var g = Geometry(inputShape);
        return [inputShape[0], g.Channels, g.OutH, g.OutW];
    }

    /// <summary>Validates a 4-D NCHW input shape and returns the pooling geometry for it.</summary>
    private protected virtual ConvGeometry Geometry(ReadOnlySpan<int> inputShape)
    {
        if (inputShape.Length != 4)
            throw ShapeError("input", [ShapeException.Any, ShapeException.Any, ShapeException.Any, ShapeException.Any], inputShape, "4-D NCHW");
        return ConvGeometry.Create(Who, this, inputShape, KernelH, KernelW, StrideH, StrideW, Padding);
    }

    /// <summary>Sets up the geometry and output buffer of a forward pass: y [N, C, outH, outW].</summary>
    private protected Tensor BeginForward(Tensor input)
    {
        _geometry = Geometry(input.Shape);
        _batch = input.Dim(0);
        _used = PoolStrategies.Resolve(Algorithm, _geometry);
        return Tensor.Ensure(ref _output, _batch, _geometry.Channels, _geometry.OutH, _geometry.OutW);
    }

    /// <summary>Checks dy against the last forward pass; returns the dx buffer [N, C, H, W], or null when not required.</summary>
    private protected Tensor? BeginBackward(Tensor outputGradient)
    {
        if (_output is null || _batch < 0) throw new InvalidOperationException($"{Who}: Backward called before Forward.");
        CheckOutputGradient(_output, outputGradient);
        if (!InputGradientRequired) return null;
        return Tensor.Ensure(ref _inputGradient, _batch, _geometry.Channels, _geometry.InH, _geometry.InW);
    }

    private protected string DescribeHyperParameters()
    {
        string s = $"{KernelH}x{KernelW}, stride {(StrideH == StrideW ? $"{StrideH}" : $"{StrideH}x{StrideW}")}";
        if (Padding != Padding.Zero) s += $", padding {Padding}";
        return s;
    }
}
