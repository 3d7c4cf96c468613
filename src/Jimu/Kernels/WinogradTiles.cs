using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// One Winograd algorithm F(m×m, r×r) over 6×6 transformed tiles (α = m + r − 1 = 6, interpolation points 0, ±1, ±2
/// and ∞, as in Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): its output and kernel
/// transforms and their adjoints. The input transform Bᵀ depends only on the points, so every such algorithm shares
/// <see cref="WinogradBasis.InputTransform"/>; <see cref="WinogradForward{T}"/> and <see cref="WinogradWeightGradient{T}"/>
/// are written once over this interface and specialised per struct (static calls, inlined). Implemented by
/// <see cref="WinogradF2x5"/> (5×5 kernels, 36 products per 2×2 outputs) and <see cref="WinogradF4x3"/> (3×3 kernels,
/// 36 products per 4×4 outputs).
/// <code>
/// y  = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A     Aᵀ: m × 6, G: 6 × r, Bᵀ: 6 × 6
/// dM = A dY Aᵀ,  dg = Gᵀ dU G           (the adjoints, for the weight gradient)
/// </code>
/// All transforms work on 16 lanes (channels or kernels) per Vector512.
/// </summary>
internal unsafe interface IWinogradTiles
{
    /// <summary>Side m of an output tile.</summary>
    static abstract int Out { get; }

    /// <summary>Side r of the kernel.</summary>
    static abstract int Kernel { get; }

    /// <summary>y = Aᵀ M A + bias for 16 lanes, M[ξ] = src[ξ·srcStride]; output (i, j) → y[i·yRowStride + j].</summary>
    static abstract void OutputTransform(float* src, long srcStride, Vector512<float> bias, Vector512<float>* y, int yRowStride);

    /// <summary>
    /// dM = A dY Aᵀ for 16 lanes from the m×m tile dy[i·m + j]: entry ξ split in halves, lanes 0–7 to lo[ξ·stride]
    /// and lanes 8–15 to hi[ξ·stride] (the packed 8-row strips of a GEMM operand).
    /// </summary>
    static abstract void OutputGradientTransform(Vector512<float>* dy, float* lo, float* hi, long stride);

    /// <summary>U = G g Gᵀ for 16 kernels: g[r·i + j] holds entry (i, j) of each lane's kernel; U[ξ] → u[ξ·uStride].</summary>
    static abstract void KernelTransform(Vector512<float>* g, float* u, long uStride);

    /// <summary>dg = Gᵀ dU G for 16 kernels: dU[ξ] from du[ξ·duStride]; dg[r·i + j] receives entry (i, j).</summary>
    static abstract void KernelGradientTransform(float* du, long duStride, Vector512<float>* dg);
}

/// <summary>
/// What every F(m, r) over the points 0, ±1, ±2, ∞ shares: α = 6, the 36 products, and the input transform
/// <code>
///      ⎡4  0 −5  0  1  0⎤
///      ⎢0 −4 −4  1  1  0⎥
/// Bᵀ = ⎢0  4 −4 −1  1  0⎥        V = Bᵀ d B
///      ⎢0 −2 −1  2  1  0⎥
///      ⎢0  2 −1 −2  1  0⎥
///      ⎣0  4  0 −5  0  1⎦
/// </code>
/// The data transform works on 16 channels at once, one per Vector512 lane, reading its input from and writing its
/// output to their final places (512-bit stores are the bottleneck).
/// </summary>
[SkipLocalsInit]
internal static unsafe class WinogradBasis
{
    /// <summary>Side of a transformed tile (m + r − 1).</summary>
    public const int Alpha = 6;
    /// <summary>Entries of a transformed tile: the 36 independent products.</summary>
    public const int Points = Alpha * Alpha;

    /// <summary>
    /// Floats added to the stride between the 36 planes of transformed data (one cache line): with a power-of-two
    /// stride all 36 would fall in one L1 set.
    /// </summary>
    public const int PlaneSkew = 16;

    /// <summary>
    /// V = Bᵀ d B for 16 lanes: d[i][j] = src[i·rowStride + j·colStride] (vectors), V[ξ] → dst[ξ·dstStride].
    /// Columns go through <paramref name="scratch"/> (36 vectors); rows are written straight to dst.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputTransform(float* src, long rowStride, long colStride, float* dst, long dstStride, Vector512<float>* scratch)
    {
        for (int j = 0; j < Alpha; j++)
        {
            float* col = src + j * colStride;
            Bt(Vector512.Load(col), Vector512.Load(col + rowStride), Vector512.Load(col + 2 * rowStride),
                Vector512.Load(col + 3 * rowStride), Vector512.Load(col + 4 * rowStride), Vector512.Load(col + 5 * rowStride),
                out scratch[j], out scratch[Alpha + j], out scratch[2 * Alpha + j],
                out scratch[3 * Alpha + j], out scratch[4 * Alpha + j], out scratch[5 * Alpha + j]);
        }
        for (int k = 0; k < Alpha; k++)
        {
            var row = scratch + k * Alpha;
            Bt(row[0], row[1], row[2], row[3], row[4], row[5],
                out var v0, out var v1, out var v2, out var v3, out var v4, out var v5);
            float* o = dst + k * Alpha * dstStride;
            v0.Store(o); v1.Store(o + dstStride); v2.Store(o + 2 * dstStride);
            v3.Store(o + 3 * dstStride); v4.Store(o + 4 * dstStride); v5.Store(o + 5 * dstStride);
        }
    }

    // (o0..o5) = Bᵀ·(d0..d5).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Bt(Vector512<float> d0, Vector512<float> d1, Vector512<float> d2, Vector512<float> d3, Vector512<float> d4, Vector512<float> d5,
        out Vector512<float> o0, out Vector512<float> o1, out Vector512<float> o2, out Vector512<float> o3, out Vector512<float> o4, out Vector512<float> o5)
    {
        var a = Vector512.FusedMultiplyAdd(d2, Vector512.Create(-4f), d4);   // d4 − 4 d2
        var b = Vector512.FusedMultiplyAdd(d1, Vector512.Create(-4f), d3);   // d3 − 4 d1
        var c = d4 - d2;
        var e = (d3 - d1) * 2f;
        o0 = Vector512.FusedMultiplyAdd(d0, Vector512.Create(4f), Vector512.FusedMultiplyAdd(d2, Vector512.Create(-5f), d4));
        o1 = a + b;
        o2 = a - b;
        o3 = c + e;
        o4 = c - e;
        o5 = Vector512.FusedMultiplyAdd(d1, Vector512.Create(4f), Vector512.FusedMultiplyAdd(d3, Vector512.Create(-5f), d5));
    }

    /// <summary>Stores lanes 0–7 of <paramref name="v"/> at lo and lanes 8–15 at hi.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Halves(Vector512<float> v, float* lo, float* hi)
    {
        v.GetLower().Store(lo);
        v.GetUpper().Store(hi);
    }
}
