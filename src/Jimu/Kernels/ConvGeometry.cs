using Jimu.Layers;
using Jimu.Tensors;

namespace Jimu.Kernels;

/// <summary>
/// The geometry of a sliding window (convolution or pooling) over one C×H×W image:
/// out = floor((in + padBefore + padAfter − k) / stride) + 1 on each axis.
/// </summary>
internal readonly record struct ConvGeometry(
    int Channels, int InH, int InW,
    int KernelH, int KernelW, int StrideH, int StrideW,
    int PadTop, int PadBottom, int PadLeft, int PadRight,
    int OutH, int OutW)
{
    public int InSize => Channels * InH * InW;
    public int OutPlane => OutH * OutW;
    /// <summary>Rows of the im2col matrix: C·kh·kw.</summary>
    public int PatchSize => Channels * KernelH * KernelW;

    /// <summary>
    /// A 1×1 kernel at stride 1 without padding: the im2col matrix of an image is the image itself (C × H·W, row-major),
    /// so the convolution is a plain GEMM on it, and the patch gradient is the input gradient.
    /// </summary>
    public bool IsPointwise => KernelH == 1 && KernelW == 1 && StrideH == 1 && StrideW == 1
        && PadTop == 0 && PadBottom == 0 && PadLeft == 0 && PadRight == 0;

    /// <summary>
    /// The geometry of <paramref name="layer"/> (<paramref name="who"/>: its cached "Type 'name'", so that a forward
    /// pass allocates nothing) on an input [N, C, H, W]; a <see cref="ShapeException"/> naming the layer when the
    /// kernel does not fit.
    /// </summary>
    public static ConvGeometry Create(string who, Layer layer, ReadOnlySpan<int> input, int kernelH, int kernelW, int strideH, int strideW, Padding padding) =>
        Create(who, input, kernelH, kernelW, strideH, strideW, padding, layer);

    /// <summary>Validates the hyper-parameters and the input size, naming <paramref name="who"/> in every error.</summary>
    public static ConvGeometry Create(string who, int channels, int inH, int inW,
        int kernelH, int kernelW, int strideH, int strideW, Padding padding) =>
        Create(who, [1, channels, inH, inW], kernelH, kernelW, strideH, strideW, padding, null);

    /// <summary>Validates the hyper-parameters and the input [N, C, H, W], naming <paramref name="who"/> (or <paramref name="layer"/>) in every error.</summary>
    private static ConvGeometry Create(string who, ReadOnlySpan<int> input,
        int kernelH, int kernelW, int strideH, int strideW, Padding padding, Layer? layer)
    {
        int channels = input[1], inH = input[2], inW = input[3];
        ValidateHyperParameters(who, kernelH, kernelW, strideH, strideW);
        var (pt, pb) = padding.Resolve(inH, kernelH, strideH, vertical: true);
        var (pl, pr) = padding.Resolve(inW, kernelW, strideW, vertical: false);
        int paddedH = inH + pt + pb, paddedW = inW + pl + pr;
        if (kernelH > paddedH || kernelW > paddedW)
        {
            string requirement = $"at least {kernelH}x{kernelW} pixels after padding {padding}, its kernel's size (the padded input is {paddedH}x{paddedW})";
            const string hint = "use a smaller kernel, more padding or a larger input";
            throw layer is null ? new ShapeException(who, "input", null, input.ToArray(), requirement, hint) : ShapeException.Of(layer, "input", null, input, requirement, hint);
        }
        return new ConvGeometry(channels, inH, inW, kernelH, kernelW, strideH, strideW, pt, pb, pl, pr,
            (paddedH - kernelH) / strideH + 1, (paddedW - kernelW) / strideW + 1);
    }

    public static void ValidateHyperParameters(string who, int kernelH, int kernelW, int strideH, int strideW)
    {
        if (kernelH < 1 || kernelW < 1)
            throw new ArgumentOutOfRangeException(nameof(kernelH), $"{who}: kernel size must be at least 1x1, got {kernelH}x{kernelW}.");
        if (strideH < 1 || strideW < 1)
            throw new ArgumentOutOfRangeException(nameof(strideH), $"{who}: stride must be at least 1, got {strideH}x{strideW}.");
    }
}
