using System.Runtime.CompilerServices;

namespace Jimu.Kernels;

/// <summary>
/// One Winograd algorithm F(m×m, r×r) over α×α transformed tiles (α = m + r − 1, as in Lavin and Gray, "Fast Algorithms
/// for Convolutional Neural Networks", 2016): its input, output and kernel transforms and the adjoints of the last two.
/// The input transform Bᵀ depends only on the interpolation points, so the algorithms of one α share it:
/// <see cref="WinogradBasis"/> (α = 6, points 0, ±1, ±2, ∞) and <see cref="WinogradBasis8"/> (α = 8, points 0, ±1, ±2,
/// ±½, ∞). <see cref="WinogradForward{T, S, V}"/> and <see cref="WinogradWeightGradient{T, S, V}"/>
/// are written once over this interface and specialised per struct (static calls, inlined). Implemented by
/// <see cref="WinogradF2x5"/> (5×5 kernels, 36 products per 2×2 outputs), <see cref="WinogradF4x5"/> (5×5 kernels, 64
/// products per 4×4 outputs) and <see cref="WinogradF4x3"/> (3×3 kernels, 36 products per 4×4 outputs).
/// <code>
/// y  = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A     Aᵀ: m × α, G: α × r, Bᵀ: α × α
/// dM = A dY Aᵀ,  dg = Gᵀ dU G           (the adjoints, for the weight gradient)
/// </code>
/// All transforms work on the L lanes of a vector (channels or kernels), written once over the width (<see cref="ISimdWidth{V}"/>).
/// </summary>
internal unsafe interface IWinogradTiles
{
    /// <summary>Side m of an output tile.</summary>
    static abstract int Out { get; }

    /// <summary>Side r of the kernel.</summary>
    static abstract int Kernel { get; }

    /// <summary>Side α = m + r − 1 of a transformed tile; α² products per tile.</summary>
    static abstract int Alpha { get; }

    /// <summary>
    /// V = Bᵀ d B for L lanes: d[i][j] = src[i·rowStride + j·colStride] (vectors), V[ξ] → dst[ξ·dstStride];
    /// <paramref name="scratch"/> holds α² vectors.
    /// </summary>
    static abstract void InputTransform<S, V>(float* src, long rowStride, long colStride, float* dst, long dstStride, V* scratch)
        where S : struct, ISimdWidth<V> where V : unmanaged;

    /// <summary>y = Aᵀ M A + bias for L lanes, M[ξ] = src[ξ·srcStride]; output (i, j) → y[i·yRowStride + j].</summary>
    static abstract void OutputTransform<S, V>(float* src, long srcStride, V bias, V* y, int yRowStride)
        where S : struct, ISimdWidth<V> where V : unmanaged;

    /// <summary>dM = A dY Aᵀ for L lanes from the m×m tile dy[i·m + j]: entry ξ → dm[ξ·stride].</summary>
    static abstract void OutputGradientTransform<S, V>(V* dy, float* dm, long stride)
        where S : struct, ISimdWidth<V> where V : unmanaged;

    /// <summary>U = G g Gᵀ for L kernels: g[r·i + j] holds entry (i, j) of each lane's kernel; U[ξ] → u[ξ·uStride].</summary>
    static abstract void KernelTransform<S, V>(V* g, float* u, long uStride)
        where S : struct, ISimdWidth<V> where V : unmanaged;

    /// <summary>dg = Gᵀ dU G for L kernels: dU[ξ] from du[ξ·duStride]; dg[r·i + j] receives entry (i, j).</summary>
    static abstract void KernelGradientTransform<S, V>(float* du, long duStride, V* dg)
        where S : struct, ISimdWidth<V> where V : unmanaged;
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
/// The data transform works on L channels at once, one per vector lane, reading its input from and writing its
/// output to their final places (the stores are the bottleneck).
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
    /// V = Bᵀ d B for L lanes: d[i][j] = src[i·rowStride + j·colStride] (vectors), V[ξ] → dst[ξ·dstStride].
    /// Columns go through <paramref name="scratch"/> (36 vectors); rows are written straight to dst.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputTransform<S, V>(float* src, long rowStride, long colStride, float* dst, long dstStride, V* scratch)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        for (int j = 0; j < Alpha; j++)
        {
            float* col = src + j * colStride;
            Bt<S, V>(S.Load(col), S.Load(col + rowStride), S.Load(col + 2 * rowStride),
                S.Load(col + 3 * rowStride), S.Load(col + 4 * rowStride), S.Load(col + 5 * rowStride),
                out scratch[j], out scratch[Alpha + j], out scratch[2 * Alpha + j],
                out scratch[3 * Alpha + j], out scratch[4 * Alpha + j], out scratch[5 * Alpha + j]);
        }
        for (int k = 0; k < Alpha; k++)
        {
            var row = scratch + k * Alpha;
            Bt<S, V>(row[0], row[1], row[2], row[3], row[4], row[5],
                out var v0, out var v1, out var v2, out var v3, out var v4, out var v5);
            float* o = dst + k * Alpha * dstStride;
            S.Store(o, v0); S.Store(o + dstStride, v1); S.Store(o + 2 * dstStride, v2);
            S.Store(o + 3 * dstStride, v3); S.Store(o + 4 * dstStride, v4); S.Store(o + 5 * dstStride, v5);
        }
    }

    // (o0..o5) = Bᵀ·(d0..d5).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Bt<S, V>(V d0, V d1, V d2, V d3, V d4, V d5, out V o0, out V o1, out V o2, out V o3, out V o4, out V o5)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        var a = S.Fma(d2, S.Broadcast(-4f), d4);   // d4 − 4 d2
        var b = S.Fma(d1, S.Broadcast(-4f), d3);   // d3 − 4 d1
        var c = S.Sub(d4, d2);
        var e = S.Mul(S.Sub(d3, d1), S.Broadcast(2f));
        o0 = S.Fma(d0, S.Broadcast(4f), S.Fma(d2, S.Broadcast(-5f), d4));
        o1 = S.Add(a, b);
        o2 = S.Sub(a, b);
        o3 = S.Add(c, e);
        o4 = S.Sub(c, e);
        o5 = S.Fma(d1, S.Broadcast(4f), S.Fma(d3, S.Broadcast(-5f), d5));
    }
}
