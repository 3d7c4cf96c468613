using Jimu.Kernels;
using Jimu.Tensors;

namespace Jimu.Layers;

/// <summary>
/// Max pooling (PyTorch's MaxPool2d): y[n,c,oh,ow] = max of x[n,c,h,w] over the window
/// h = oh·sh − padTop + i, w = ow·sw − padLeft + j (0 ≤ i &lt; kh, 0 ≤ j &lt; kw). Padding never wins (it acts as −∞).
/// The forward pass records the argmax of each window; backward routes dy[n,c,oh,ow] to that one position:
/// the FIRST maximum in row-major window order when several are equal (as PyTorch does), summing where windows overlap.
/// A window made only of padding is rejected (PyTorch requires padding ≤ kernel / 2 for this reason).
/// </summary>
public sealed class MaxPool2D : Pool2D
{
    /// <summary>Window argmax of the last forward pass, [N, C, outH, outW]: an index h·W + w into the input plane
    /// (Direct) or a window row i·kw + j (Im2Col).</summary>
    private int[] _argmax = [];

    /// <summary>A square window; the stride defaults to the window size, the padding to none.</summary>
    public MaxPool2D(int kernelSize, int? stride = null, Padding padding = default, PoolAlgorithm algorithm = PoolAlgorithm.Direct, string name = "maxpool")
        : this(kernelSize, kernelSize, stride ?? kernelSize, stride ?? kernelSize, padding, algorithm, name) { }

    /// <summary>Max pooling with a kh×kw window and stride (sh, sw).</summary>
    public MaxPool2D(int kernelH, int kernelW, int strideH, int strideW, Padding padding = default, PoolAlgorithm algorithm = PoolAlgorithm.Direct, string name = "maxpool")
        : base(name, kernelH, kernelW, strideH, strideW, padding, algorithm) { }

    private protected override ConvGeometry Geometry(ReadOnlySpan<int> inputShape)
    {
        var g = base.Geometry(inputShape);
        // The first and last windows of each axis are the ones that can lie wholly in the padding.
        if (g.PadTop >= KernelH || g.PadLeft >= KernelW
            || (g.OutH - 1) * StrideH - g.PadTop >= g.InH || (g.OutW - 1) * StrideW - g.PadLeft >= g.InW)
            throw ShapeError("input", null, inputShape,
                $"windows that each hold an input element (padding {Padding} puts a {KernelH}x{KernelW} window at stride {StrideH}x{StrideW} wholly in the padding)",
                "use padding smaller than the window");
        return g;
    }

    /// <summary>
    /// Whether the pool also applies a ReLU: y = relu(maxpool(x)) = maxpool(relu(x)), exactly, since max commutes
    /// with a monotone function. <see cref="Models.Sequential"/> sets it when a ReLU comes right before this layer and
    /// then skips that ReLU, saving its two passes over the larger, unpooled tensor. Backward then gives the gradient
    /// with respect to the ReLU's input: windows whose maximum is not positive pass none.
    /// </summary>
    internal bool AppliesRelu { get; set; }

    /// <summary>
    /// The BatchNorm (followed by the ReLU this pool applies) whose normalisation this pool does, or null (see
    /// <see cref="BatchNorm.FusedPool"/>). Set by <see cref="Models.Sequential"/> for a 2×2 window with stride 2 and no padding.
    /// </summary>
    internal BatchNorm? FusedBatchNorm { get; set; }

    /// <summary>Whether a pool with these hyper-parameters can take a BatchNorm's normalisation (<see cref="BatchNormReluPool"/>).</summary>
    internal bool CanFuseBatchNorm => KernelH == 2 && KernelW == 2 && StrideH == 2 && StrideW == 2 && Padding == Padding.Zero;

    /// <summary>Whether the fused BatchNorm can pool for an input of this shape (<see cref="BatchNormReluPool.Fits"/>).</summary>
    internal bool FitsBatchNorm(ReadOnlySpan<int> inputShape) => BatchNormReluPool.Fits(Geometry(inputShape));

    /// <summary>Sets up the forward pass whose output the fused BatchNorm writes: geometry and y [N, C, outH, outW].</summary>
    internal Tensor BeginFusedForward(Tensor input) => BeginForward(input);

    /// <summary>The output of the last forward pass.</summary>
    internal Tensor? Output => _output;
    /// <summary>The geometry of the last forward pass.</summary>
    internal ConvGeometry LastGeometry => _geometry;

    // x [N, C, H, W] → y [N, C, outH, outW]
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        // Fused: the BatchNorm before has written y (BeginFusedForward) and passed its own input on.
        if (FusedBatchNorm is { PoolFusedNow: true }) return BeginForward(input);
        var y = BeginForward(input);
        if (_argmax.Length < y.Length) _argmax = new int[y.Length];
        // A fused BatchNorm that did not hand its normalisation over has applied the ReLU itself.
        _used.MaxForward(Context, input.Data, y.Data, _argmax, _batch, _geometry, AppliesRelu && FusedBatchNorm is null);
        return y;
    }

    // dy [N, C, outH, outW] → dx [N, C, H, W]: dx[argmax(window)] += dy[window]
    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGradient)
    {
        // Fused: the BatchNorm before takes the pooled gradient (it knows the windows' winners).
        if (FusedBatchNorm is { PoolFusedNow: true })
        {
            CheckOutputGradient(_output, outputGradient);
            return outputGradient;
        }
        var dx = BeginBackward(outputGradient);
        if (dx is null) return null;
        _used.MaxBackward(Context, outputGradient.Data, _argmax, dx.Data, _batch, _geometry);
        return dx;
    }

    /// <inheritdoc/>
    public override string Describe() => $"MaxPool2D {DescribeHyperParameters()}";
}
