using Jimu.Kernels;
using Jimu.Tensors;

namespace Jimu.Layers;

/// <summary>
/// Average pooling (PyTorch's AvgPool2d with its defaults): y[n,c,oh,ow] = Σ x[n,c,h,w] / (kh·kw) over the window
/// h = oh·sh − padTop + i, w = ow·sw − padLeft + j. Padding counts as zeros in the divisor (count_include_pad=True),
/// so a window that overlaps the padding still divides by kh·kw.
/// Backward spreads each dy[n,c,oh,ow] / (kh·kw) over its window's real positions, summing where windows overlap.
/// </summary>
public sealed class AvgPool2D : Pool2D
{
    /// <summary>A square window; the stride defaults to the window size, the padding to none.</summary>
    public AvgPool2D(int kernelSize, int? stride = null, Padding padding = default, PoolAlgorithm algorithm = PoolAlgorithm.Direct, string name = "avgpool")
        : this(kernelSize, kernelSize, stride ?? kernelSize, stride ?? kernelSize, padding, algorithm, name) { }

    /// <summary>Average pooling with a kh×kw window and stride (sh, sw).</summary>
    public AvgPool2D(int kernelH, int kernelW, int strideH, int strideW, Padding padding = default, PoolAlgorithm algorithm = PoolAlgorithm.Direct, string name = "avgpool")
        : base(name, kernelH, kernelW, strideH, strideW, padding, algorithm) { }

    // x [N, C, H, W] → y [N, C, outH, outW]
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var y = BeginForward(input);
        _used.AvgForward(Context, input.Data, y.Data, _batch, _geometry);
        return y;
    }

    // dy [N, C, outH, outW] → dx [N, C, H, W]: dx[h,w] = Σ over windows containing (h,w) of dy / (kh·kw)
    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGradient)
    {
        var dx = BeginBackward(outputGradient);
        if (dx is null) return null;
        _used.AvgBackward(Context, outputGradient.Data, dx.Data, _batch, _geometry);
        return dx;
    }

    /// <inheritdoc/>
    public override string Describe() => $"AvgPool2D {DescribeHyperParameters()}";
}
