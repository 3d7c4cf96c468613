namespace Jimu.Kernels;

/// <summary>
/// Convolution with r×r kernels at stride 1 by Winograd F(m×m, r×r) over 6×6 tiles: F(2×2, 5×5)
/// (<see cref="WinogradF2x5"/>, 36 multiply-adds per channel pair and 2×2 outputs instead of 100: 2.8 times fewer than
/// <see cref="ConvIm2Col"/>) and F(4×4, 3×3) (<see cref="WinogradF4x3"/>, 36 instead of 144: 4 times fewer), at the
/// price of transforms and a larger rounding error: the transforms scale terms up before they cancel, so results agree
/// with the direct loops to about 1e-4 of the magnitudes rather than im2col's 1e-5.
/// <code>
/// forward:  y  = winograd(x, W) + b                                   (<see cref="WinogradForward{T}"/>)
/// backward: dW, db from x and dY                                      (<see cref="WinogradWeightGradient{T}"/>)
///           dx = winograd(dY padded by r − 1 − p, rot180(W) with in and out swapped)
/// </code>
/// Only for geometries where <see cref="Supports"/> holds (it also needs AVX-512); callers fall back to im2col.
/// Stateless: the transformed weights are the layer's (<see cref="ConvCache"/>), scratch is the context's.
/// </summary>
internal static class ConvWinograd
{
    /// <summary>
    /// Whether geometry <paramref name="g"/> runs here on this machine: a 5×5 kernel with padding 0 to 4 per side, or a
    /// 3×3 kernel with padding 0 to 2, at stride 1.
    /// </summary>
    public static bool Supports(in ConvGeometry g) =>
        WinogradForward<WinogradF2x5>.Supports(g) || WinogradForward<WinogradF4x3>.Supports(g);

    /// <summary>y[N, O, OH, OW] = conv(x[N, C, H, W], W[O, C, r, r]) + bias; <paramref name="transformed"/> is the layer's cache of U.</summary>
    public static void Forward(ComputeContext ctx, WinogradWeights transformed, float[] x, float[] weight, float[]? bias, float[] y,
        int batch, int outChannels, in ConvGeometry g)
    {
        if (g.KernelH == WinogradF4x3.Kernel) Tiles<WinogradF4x3>.Forward(ctx, transformed, x, weight, bias, y, batch, outChannels, g);
        else Tiles<WinogradF2x5>.Forward(ctx, transformed, x, weight, bias, y, batch, outChannels, g);
    }

    /// <summary>Sets dW (and db when given) to the batch sums.</summary>
    public static void BackwardWeights(ComputeContext ctx, float[] x, float[] dy, float[] dWeight, float[]? dBias, int batch, int outChannels, in ConvGeometry g)
    {
        if (g.KernelH == WinogradF4x3.Kernel) Tiles<WinogradF4x3>.BackwardWeights(ctx, x, dy, dWeight, dBias, batch, outChannels, g);
        else Tiles<WinogradF2x5>.BackwardWeights(ctx, x, dy, dWeight, dBias, batch, outChannels, g);
    }

    /// <summary>Sets dx to the input gradient; <paramref name="transformed"/> is the layer's cache of the rotated U.</summary>
    public static void BackwardInput(ComputeContext ctx, WinogradWeights transformed, float[] dy, float[] weight, float[] dx,
        int batch, int outChannels, in ConvGeometry g)
    {
        if (g.KernelH == WinogradF4x3.Kernel) Tiles<WinogradF4x3>.BackwardInput(ctx, transformed, dy, weight, dx, batch, outChannels, g);
        else Tiles<WinogradF2x5>.BackwardInput(ctx, transformed, dy, weight, dx, batch, outChannels, g);
    }

    /// <summary>The three passes by the tile algorithm <typeparamref name="T"/>.</summary>
    private static class Tiles<T> where T : struct, IWinogradTiles
    {
        public static void Forward(ComputeContext ctx, WinogradWeights transformed, float[] x, float[] weight, float[]? bias, float[] y,
            int batch, int outChannels, in ConvGeometry g)
        {
            Require(g);
            WinogradForward<T>.Run(ctx, transformed, x, weight, rotate: false, bias, y, batch, outChannels, g);
        }

        public static void BackwardWeights(ComputeContext ctx, float[] x, float[] dy, float[] dWeight, float[]? dBias, int batch, int outChannels, in ConvGeometry g)
        {
            Require(g);
            WinogradWeightGradient<T>.Run(ctx, x, dy, dWeight, dBias, batch, outChannels, g);
        }

        public static void BackwardInput(ComputeContext ctx, WinogradWeights transformed, float[] dy, float[] weight, float[] dx,
            int batch, int outChannels, in ConvGeometry g)
        {
            Require(g);
            // dx[c] = Σ_o dy[o] ⋆ rot180(W[o][c]) over dy padded by r − 1 − p ("full" correlation, cropped to the input).
            int e = T.Kernel - 1;
            var back = new ConvGeometry(outChannels, g.OutH, g.OutW, T.Kernel, T.Kernel, 1, 1,
                e - g.PadTop, e - g.PadBottom, e - g.PadLeft, e - g.PadRight, g.InH, g.InW);
            WinogradForward<T>.Run(ctx, transformed, dy, weight, rotate: true, bias: null, dx, batch, g.Channels, back);
        }

        private static void Require(in ConvGeometry g)
        {
            if (!WinogradForward<T>.Supports(g))
                throw new NotSupportedException(
                    $"Winograd F({T.Out}x{T.Out}, {T.Kernel}x{T.Kernel}) needs a {T.Kernel}x{T.Kernel} kernel, stride 1, padding 0 to {T.Kernel - 1} and AVX-512; got kernel {g.KernelH}x{g.KernelW}, stride {g.StrideH}x{g.StrideW}, padding {g.PadTop},{g.PadBottom},{g.PadLeft},{g.PadRight}.");
        }
    }
}
