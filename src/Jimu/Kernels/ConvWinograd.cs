namespace Jimu.Kernels;

/// <summary>
/// Convolution with 5×5 kernels at stride 1 by Winograd F(2×2, 5×5) (<see cref="WinogradF2x5"/>): 36 multiply-adds per
/// channel pair and 2×2 output tile instead of 100, so 2.8 times fewer than <see cref="ConvIm2Col"/>, at the price of
/// transforms and a larger rounding error: the transforms scale terms up before they cancel, so results agree with
/// the direct loops to about 1e-4 of the magnitudes rather than im2col's 1e-5.
/// <code>
/// forward:  y  = winograd(x, W) + b                                   (<see cref="WinogradForward"/>)
/// backward: dW, db from x and dY                                      (<see cref="WinogradWeightGradient"/>; AVX-512 only,
///                                                                     im2col's elsewhere)
///           dx = winograd(dY padded by 4 − p, rot180(W) with in and out swapped)
/// </code>
/// Only for geometries where <see cref="Supports"/> holds (and vectors of some width); callers fall back to im2col.
/// Buffers are kept between calls; nothing is allocated once the shapes are seen.
/// </summary>
internal sealed class ConvWinograd
{
    private readonly WinogradForward _forward = new(), _inputGradient = new();
    private readonly WinogradWeightGradient _weightGradient = new();
    // Below AVX-512 the weight gradient comes from im2col (its products are not yet written over the vector width).
    private ConvIm2Col? _im2colWeightGradient;

    /// <summary>Whether geometry <paramref name="g"/> (5×5 kernel, stride 1, padding 0 to 4 per side) runs here on this machine.</summary>
    public static bool Supports(in ConvGeometry g) => WinogradForward.Supports(g);

    /// <summary>y[N, O, OH, OW] = conv(x[N, C, H, W], W[O, C, 5, 5]) + bias.</summary>
    public void Forward(float[] x, float[] weight, float[]? bias, float[] y, int batch, int outChannels, in ConvGeometry g)
    {
        Require(g);
        _forward.Run(x, weight, rotate: false, bias, y, batch, outChannels, g);
    }

    /// <summary>Sets dW (and db when given) to the batch sums and, when <paramref name="dx"/> is given, dx to the input gradient.</summary>
    public void Backward(float[] x, float[] weight, float[] dy, float[] dWeight, float[]? dBias, float[]? dx,
        int batch, int outChannels, in ConvGeometry g)
    {
        Require(g);
        if (WinogradWeightGradient.Supported) _weightGradient.Run(x, dy, dWeight, dBias, batch, outChannels, g);
        else (_im2colWeightGradient ??= new()).Backward(x, weight, dy, dWeight, dBias, dx: null, batch, outChannels, g);
        if (dx is null) return;
        // dx[c] = Σ_o dy[o] ⋆ rot180(W[o][c]) over dy padded by 4 − p ("full" correlation, cropped to the input).
        var back = new ConvGeometry(outChannels, g.OutH, g.OutW, 5, 5, 1, 1,
            4 - g.PadTop, 4 - g.PadBottom, 4 - g.PadLeft, 4 - g.PadRight, g.InH, g.InW);
        _inputGradient.Run(dy, weight, rotate: true, bias: null, dx, batch, g.Channels, back);
    }

    private static void Require(in ConvGeometry g)
    {
        if (!Supports(g))
            throw new NotSupportedException(
                $"Winograd F(2x2, 5x5) needs a 5x5 kernel, stride 1, padding 0 to 4 and SIMD; got kernel {g.KernelH}x{g.KernelW}, stride {g.StrideH}x{g.StrideW}, padding {g.PadTop},{g.PadBottom},{g.PadLeft},{g.PadRight}.");
    }
}
