using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// Convolution with r×r kernels at stride 1 by Winograd F(m×m, r×r): F(4×4, 5×5) over 8×8 tiles
/// (<see cref="WinogradF4x5"/>, 64 multiply-adds per channel pair and 4×4 outputs instead of 400: 6.25 times fewer than
/// <see cref="ConvIm2Col"/>), F(2×2, 5×5) over 6×6 tiles (<see cref="WinogradF2x5"/>, 36 instead of 100, for small
/// outputs: <see cref="TileFor"/>) and F(4×4, 3×3) over 6×6 tiles (<see cref="WinogradF4x3"/>, 36 instead of 144),
/// at the price of transforms and a larger rounding error: the transforms scale terms up before they cancel, so results agree
/// with the direct loops to about 1e-4 of the magnitudes rather than im2col's 1e-5.
/// <code>
/// forward:  y  = winograd(x, W) + b                                   (<see cref="WinogradForward{T, S, V}"/>)
/// backward: dW, db from x and dY                                      (<see cref="WinogradWeightGradient{T, S, V}"/>)
///           dx = winograd(dY padded by r − 1 − p, rot180(W) with in and out swapped)
/// </code>
/// Written once over the vector width (<see cref="ISimdWidth{V}"/>): the entry points run at the width the GEMM micro-kernel
/// runs at (<see cref="GemmMicroKernel.Selected"/>: 512, 256 or 128 bits; see <see cref="WidthFor"/> for a layer with few
/// channels); the generic ones at any width this machine supports (the tests run every one). Only for geometries where <see cref="Supports"/> holds and where there are vectors;
/// callers fall back to im2col.
/// Stateless: the transformed weights are the layer's (<see cref="ConvCache"/>), scratch is the context's.
/// </summary>
internal static class ConvWinograd
{
    /// <summary>
    /// Whether geometry <paramref name="g"/> runs here on this machine: a 5×5 kernel with padding 0 to 4 per side, or a
    /// 3×3 kernel with padding 0 to 2, at stride 1, with vectors of any width.
    /// </summary>
    public static bool Supports(in ConvGeometry g) => GemmMicroKernel.Selected switch
    {
        GemmMicroKernel.Kind.Vector512 => Supports<Simd512, Vector512<float>>(g),
        GemmMicroKernel.Kind.Vector256 => Supports<Simd256, Vector256<float>>(g),
        GemmMicroKernel.Kind.Vector128 => Supports<Simd128, Vector128<float>>(g),
        _ => false,
    };

    /// <summary>y[N, O, OH, OW] = conv(x[N, C, H, W], W[O, C, r, r]) + bias; <paramref name="transformed"/> is the layer's cache of U.</summary>
    public static void Forward(ComputeContext ctx, WinogradWeights transformed, float[] x, float[] weight, float[]? bias, float[] y,
        int batch, int outChannels, in ConvGeometry g)
    {
        switch (WidthFor(g.Channels, outChannels))
        {
            case GemmMicroKernel.Kind.Vector512: Forward<Simd512, Vector512<float>>(ctx, transformed, x, weight, bias, y, batch, outChannels, g); break;
            case GemmMicroKernel.Kind.Vector256: Forward<Simd256, Vector256<float>>(ctx, transformed, x, weight, bias, y, batch, outChannels, g); break;
            default: Forward<Simd128, Vector128<float>>(ctx, transformed, x, weight, bias, y, batch, outChannels, g); break;
        }
    }

    /// <summary>Sets dW (and db when given) to the batch sums.</summary>
    public static void BackwardWeights(ComputeContext ctx, float[] x, float[] dy, float[] dWeight, float[]? dBias, int batch, int outChannels, in ConvGeometry g)
    {
        switch (WidthFor(g.Channels, outChannels))
        {
            case GemmMicroKernel.Kind.Vector512: BackwardWeights<Simd512, Vector512<float>>(ctx, x, dy, dWeight, dBias, batch, outChannels, g); break;
            case GemmMicroKernel.Kind.Vector256: BackwardWeights<Simd256, Vector256<float>>(ctx, x, dy, dWeight, dBias, batch, outChannels, g); break;
            default: BackwardWeights<Simd128, Vector128<float>>(ctx, x, dy, dWeight, dBias, batch, outChannels, g); break;
        }
    }

    /// <summary>Sets dx to the input gradient; <paramref name="transformed"/> is the layer's cache of the rotated U.</summary>
    public static void BackwardInput(ComputeContext ctx, WinogradWeights transformed, float[] dy, float[] weight, float[] dx,
        int batch, int outChannels, in ConvGeometry g)
    {
        switch (WidthFor(g.Channels, outChannels))
        {
            case GemmMicroKernel.Kind.Vector512: BackwardInput<Simd512, Vector512<float>>(ctx, transformed, dy, weight, dx, batch, outChannels, g); break;
            case GemmMicroKernel.Kind.Vector256: BackwardInput<Simd256, Vector256<float>>(ctx, transformed, dy, weight, dx, batch, outChannels, g); break;
            default: BackwardInput<Simd128, Vector128<float>>(ctx, transformed, dy, weight, dx, batch, outChannels, g); break;
        }
    }

    /// <summary>
    /// The width the passes of a layer with <paramref name="channels"/> inputs and <paramref name="outChannels"/> outputs
    /// run at: the micro-kernel's, except that on AVX-512 a layer whose channels fill 16-lane vectors and 32-wide panels
    /// at most half as well as 8-lane ones runs at 256 bits (LeNet-5's 6 → 16 conv2: twice as fast). The measure is the
    /// padded size of the forward and input-gradient products, ⌈O⌉₂ₗ·⌈C⌉ₗ + ⌈C⌉₂ₗ·⌈O⌉ₗ for L lanes.
    /// </summary>
    public static GemmMicroKernel.Kind WidthFor(int channels, int outChannels)
    {
        if (GemmMicroKernel.Selected != GemmMicroKernel.Kind.Vector512 || !Simd256.IsSupported) return GemmMicroKernel.Selected;
        static long Padded(int c, int o, int lanes) => (long)Up(o, 2 * lanes) * Up(c, lanes) + (long)Up(c, 2 * lanes) * Up(o, lanes);
        static int Up(int n, int m) => (n + m - 1) / m * m;
        return 2 * Padded(channels, outChannels, Simd256.Lanes) <= Padded(channels, outChannels, Simd512.Lanes)
            ? GemmMicroKernel.Kind.Vector256 : GemmMicroKernel.Kind.Vector512;
    }

    /// <summary><see cref="Supports"/> at the width <typeparamref name="S"/>.</summary>
    public static bool Supports<S, V>(in ConvGeometry g) where S : struct, ISimdWidth<V> where V : unmanaged =>
        WinogradForward<WinogradF2x5, S, V>.Supports(g) || WinogradForward<WinogradF4x3, S, V>.Supports(g);

    /// <summary>
    /// The side m of the output tiles that <see cref="Forward"/> uses for geometry <paramref name="g"/>: 4 for a 3×3 kernel;
    /// for a 5×5 kernel 4 (F(4×4, 5×5): 64 products per tile) unless F(2×2, 5×5)'s tiles (36 products) need fewer
    /// products for this output size: outputs of at most 2×2 and a few thin ones (mnist-tf's conv2, 14×14: 16 tiles of 64
    /// against 49 of 36; LeNet-5's, 10×10: 9 of 64 against 25 of 36).
    /// </summary>
    public static int TileFor(in ConvGeometry g)
    {
        if (g.KernelH != 5) return WinogradF4x3.Out;
        static long Products(in ConvGeometry g, int m, int alpha) => (long)((g.OutH + m - 1) / m) * ((g.OutW + m - 1) / m) * alpha * alpha;
        return Products(g, WinogradF4x5.Out, WinogradBasis8.Alpha) < Products(g, WinogradF2x5.Out, WinogradBasis.Alpha)
            ? WinogradF4x5.Out : WinogradF2x5.Out;
    }

    /// <summary><see cref="Forward"/> at the width <typeparamref name="S"/>; <paramref name="tile"/>: the output tile side m, 0 for <see cref="TileFor"/>'s.</summary>
    public static void Forward<S, V>(ComputeContext ctx, WinogradWeights transformed, float[] x, float[] weight, float[]? bias, float[] y,
        int batch, int outChannels, in ConvGeometry g, int tile = 0) where S : struct, ISimdWidth<V> where V : unmanaged
    {
        Require<S, V>(g);
        switch (Tile(g, tile))
        {
            case Tiles.F4x3: WinogradForward<WinogradF4x3, S, V>.Run(ctx, transformed, x, weight, rotate: false, bias, y, batch, outChannels, g); break;
            case Tiles.F4x5: WinogradForward<WinogradF4x5, S, V>.Run(ctx, transformed, x, weight, rotate: false, bias, y, batch, outChannels, g); break;
            default: WinogradForward<WinogradF2x5, S, V>.Run(ctx, transformed, x, weight, rotate: false, bias, y, batch, outChannels, g); break;
        }
    }

    /// <summary><see cref="BackwardWeights"/> at the width <typeparamref name="S"/>; <paramref name="tile"/> as for <see cref="Forward{S, V}"/>.</summary>
    public static void BackwardWeights<S, V>(ComputeContext ctx, float[] x, float[] dy, float[] dWeight, float[]? dBias, int batch, int outChannels,
        in ConvGeometry g, int tile = 0) where S : struct, ISimdWidth<V> where V : unmanaged
    {
        Require<S, V>(g);
        switch (Tile(g, tile))
        {
            case Tiles.F4x3: WinogradWeightGradient<WinogradF4x3, S, V>.Run(ctx, x, dy, dWeight, dBias, batch, outChannels, g); break;
            case Tiles.F4x5: WinogradWeightGradient<WinogradF4x5, S, V>.Run(ctx, x, dy, dWeight, dBias, batch, outChannels, g); break;
            default: WinogradWeightGradient<WinogradF2x5, S, V>.Run(ctx, x, dy, dWeight, dBias, batch, outChannels, g); break;
        }
    }

    /// <summary><see cref="BackwardInput"/> at the width <typeparamref name="S"/>; <paramref name="tile"/> as for <see cref="Forward{S, V}"/>.</summary>
    public static void BackwardInput<S, V>(ComputeContext ctx, WinogradWeights transformed, float[] dy, float[] weight, float[] dx,
        int batch, int outChannels, in ConvGeometry g, int tile = 0) where S : struct, ISimdWidth<V> where V : unmanaged
    {
        Require<S, V>(g);
        // dx[c] = Σ_o dy[o] ⋆ rot180(W[o][c]) over dy padded by r − 1 − p ("full" correlation, cropped to the input).
        int r = g.KernelH, e = r - 1;
        var back = new ConvGeometry(outChannels, g.OutH, g.OutW, r, r, 1, 1,
            e - g.PadTop, e - g.PadBottom, e - g.PadLeft, e - g.PadRight, g.InH, g.InW);
        switch (Tile(back, tile))
        {
            case Tiles.F4x3: WinogradForward<WinogradF4x3, S, V>.Run(ctx, transformed, dy, weight, rotate: true, bias: null, dx, batch, g.Channels, back); break;
            case Tiles.F4x5: WinogradForward<WinogradF4x5, S, V>.Run(ctx, transformed, dy, weight, rotate: true, bias: null, dx, batch, g.Channels, back); break;
            default: WinogradForward<WinogradF2x5, S, V>.Run(ctx, transformed, dy, weight, rotate: true, bias: null, dx, batch, g.Channels, back); break;
        }
    }

    private enum Tiles { F2x5, F4x5, F4x3 }

    // The algorithm for the kernel size and tile side (0: TileFor's).
    private static Tiles Tile(in ConvGeometry g, int tile)
    {
        if (g.KernelH == WinogradF4x3.Kernel) return Tiles.F4x3;
        int m = tile == 0 ? TileFor(g) : tile;
        return m switch
        {
            4 => Tiles.F4x5,
            2 => Tiles.F2x5,
            _ => throw new ArgumentOutOfRangeException(nameof(tile), $"A 5x5 kernel runs with output tiles of side 2 or 4, not {tile}."),
        };
    }

    private static void Require<S, V>(in ConvGeometry g) where S : struct, ISimdWidth<V> where V : unmanaged
    {
        if (!Supports<S, V>(g))
            throw new NotSupportedException(
                $"Winograd needs a 3x3 kernel with padding 0 to 2 or a 5x5 kernel with padding 0 to 4, stride 1, and {S.Lanes * 32}-bit vectors on this machine; got kernel {g.KernelH}x{g.KernelW}, stride {g.StrideH}x{g.StrideW}, padding {g.PadTop},{g.PadBottom},{g.PadLeft},{g.PadRight}.");
    }
}
