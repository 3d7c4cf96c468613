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
/// Buffers are kept between calls; nothing is allocated once the shapes are seen.
/// </summary>
internal abstract class ConvWinograd
{
    /// <summary>
    /// Whether geometry <paramref name="g"/> runs here on this machine: a 5×5 kernel with padding 0 to 4 per side, or a
    /// 3×3 kernel with padding 0 to 2, at stride 1.
    /// </summary>
    public static bool Supports(in ConvGeometry g) =>
        WinogradForward<WinogradF2x5>.Supports(g) || WinogradForward<WinogradF4x3>.Supports(g);

    /// <summary>The algorithm for geometry <paramref name="g"/>'s kernel size (<see cref="Supports"/> must hold).</summary>
    public static ConvWinograd For(in ConvGeometry g) =>
        g.KernelH == WinogradF4x3.Kernel ? new ConvWinograd<WinogradF4x3>() : new ConvWinograd<WinogradF2x5>();

    /// <summary>y[N, O, OH, OW] = conv(x[N, C, H, W], W[O, C, r, r]) + bias.</summary>
    public abstract void Forward(ComputeContext ctx, float[] x, float[] weight, float[]? bias, float[] y, int batch, int outChannels, in ConvGeometry g);

    /// <summary>Sets dW (and db when given) to the batch sums and, when <paramref name="dx"/> is given, dx to the input gradient.</summary>
    public abstract void Backward(ComputeContext ctx, float[] x, float[] weight, float[] dy, float[] dWeight, float[]? dBias, float[]? dx,
        int batch, int outChannels, in ConvGeometry g);
}

/// <summary><see cref="ConvWinograd"/> by the tile algorithm <typeparamref name="T"/>.</summary>
internal sealed class ConvWinograd<T> : ConvWinograd where T : struct, IWinogradTiles
{
    private readonly WinogradForward<T> _forward = new(), _inputGradient = new();
    private readonly WinogradWeightGradient<T> _weightGradient = new();

    /// <inheritdoc/>
    public override void Forward(ComputeContext ctx, float[] x, float[] weight, float[]? bias, float[] y, int batch, int outChannels, in ConvGeometry g)
    {
        Require(g);
        _forward.Run(ctx, x, weight, rotate: false, bias, y, batch, outChannels, g);
    }

    /// <inheritdoc/>
    public override void Backward(ComputeContext ctx, float[] x, float[] weight, float[] dy, float[] dWeight, float[]? dBias, float[]? dx,
        int batch, int outChannels, in ConvGeometry g)
    {
        Require(g);
        _weightGradient.Run(ctx, x, dy, dWeight, dBias, batch, outChannels, g);
        if (dx is null) return;
        // dx[c] = Σ_o dy[o] ⋆ rot180(W[o][c]) over dy padded by r − 1 − p ("full" correlation, cropped to the input).
        int e = T.Kernel - 1;
        var back = new ConvGeometry(outChannels, g.OutH, g.OutW, T.Kernel, T.Kernel, 1, 1,
            e - g.PadTop, e - g.PadBottom, e - g.PadLeft, e - g.PadRight, g.InH, g.InW);
        _inputGradient.Run(ctx, dy, weight, rotate: true, bias: null, dx, batch, g.Channels, back);
    }

    private static void Require(in ConvGeometry g)
    {
        if (!WinogradForward<T>.Supports(g))
            throw new NotSupportedException(
                $"Winograd F({T.Out}x{T.Out}, {T.Kernel}x{T.Kernel}) needs a {T.Kernel}x{T.Kernel} kernel, stride 1, padding 0 to {T.Kernel - 1} and AVX-512; got kernel {g.KernelH}x{g.KernelW}, stride {g.StrideH}x{g.StrideW}, padding {g.PadTop},{g.PadBottom},{g.PadLeft},{g.PadRight}.");
    }
}
