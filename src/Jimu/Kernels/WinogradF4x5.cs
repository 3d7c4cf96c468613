using System.Runtime.CompilerServices;

namespace Jimu.Kernels;

/// <summary>
/// Winograd's minimal filtering F(4×4, 5×5) (<see cref="IWinogradTiles"/>): a 4×4 output tile y of a 5×5 kernel g over
/// an 8×8 input tile d (points 0, ±1, ±2, ±½, ∞; input transform Bᵀ: <see cref="WinogradBasis8"/>):
/// <code>
/// y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A          64 multiplications instead of 16 · 25 = 400 (F(2×2, 5×5): 4 · 36 = 144)
///
///     ⎡  1      0      0      0      0  ⎤
///     ⎢−2/9   −2/9   −2/9   −2/9   −2/9 ⎥
///     ⎢−2/9    2/9   −2/9    2/9   −2/9 ⎥         ⎡1  1  1  1  1   1    1   0⎤
/// G = ⎢1/90   1/45   2/45   4/45   8/45 ⎥    Aᵀ = ⎢0  1 −1  2 −2  1/2 −1/2  0⎥
///     ⎢1/90  −1/45   2/45  −4/45   8/45 ⎥         ⎢0  1  1  4  4  1/4  1/4  0⎥
///     ⎢32/45  16/45  8/45   4/45   2/45 ⎥         ⎣0  1 −1  8 −8  1/8 −1/8  1⎦
///     ⎢32/45 −16/45  8/45  −4/45   2/45 ⎥
///     ⎣  0      0      0      0      1  ⎦
/// </code>
/// (derived as in Lavin's wincnn; the points ±½ keep the powers in Aᵀ at most 8, as in F(4×4, 3×3)). Per output, 4 products
/// instead of F(2×2, 5×5)'s 9, and the transforms load and store less than half as much; the rounding error measured
/// against the direct loops is of the same size as F(2×2, 5×5)'s (numpy, float32: 6e-6 of the magnitudes forward,
/// 9e-6 for the weight gradient). The kernel transforms take one kernel per vector lane.
/// </summary>
[SkipLocalsInit]
internal readonly unsafe struct WinogradF4x5 : IWinogradTiles
{
    /// <inheritdoc/>
    public static int Out => 4;
    /// <inheritdoc/>
    public static int Kernel => 5;
    /// <inheritdoc/>
    public static int Alpha => WinogradBasis8.Alpha;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void InputTransform<S, V>(float* src, long rowStride, long colStride, float* dst, long dstStride, V* scratch)
        where S : struct, ISimdWidth<V> where V : unmanaged =>
        WinogradBasis8.InputTransform<S, V>(src, rowStride, colStride, dst, dstStride, scratch);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OutputTransform<S, V>(float* src, long srcStride, V bias, V* y, int yRowStride)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        // Rows first: t[k][j] = (M A)[k][j], 32 vectors; then Aᵀ down each of the four columns.
        V* t = stackalloc V[Alpha * 4];
        for (int k = 0; k < Alpha; k++)
        {
            float* m = src + k * Alpha * srcStride;
            At<S, V>(S.Load(m), S.Load(m + srcStride), S.Load(m + 2 * srcStride), S.Load(m + 3 * srcStride),
                S.Load(m + 4 * srcStride), S.Load(m + 5 * srcStride), S.Load(m + 6 * srcStride), S.Load(m + 7 * srcStride),
                out t[4 * k], out t[4 * k + 1], out t[4 * k + 2], out t[4 * k + 3]);
        }
        for (int j = 0; j < 4; j++)
        {
            At<S, V>(t[j], t[4 + j], t[8 + j], t[12 + j], t[16 + j], t[20 + j], t[24 + j], t[28 + j],
                out var y0, out var y1, out var y2, out var y3);
            y[j] = S.Add(y0, bias);
            y[yRowStride + j] = S.Add(y1, bias);
            y[2 * yRowStride + j] = S.Add(y2, bias);
            y[3 * yRowStride + j] = S.Add(y3, bias);
        }
    }

    // (y0..y3) = Aᵀ·(m0..m7).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void At<S, V>(V m0, V m1, V m2, V m3, V m4, V m5, V m6, V m7, out V y0, out V y1, out V y2, out V y3)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        var s1 = S.Add(m1, m2); var d1 = S.Sub(m1, m2);
        var s2 = S.Add(m3, m4); var d2 = S.Sub(m3, m4);
        var s3 = S.Add(m5, m6); var d3 = S.Sub(m5, m6);
        y0 = S.Add(S.Add(S.Add(m0, s1), s2), s3);
        y1 = S.Fma(d3, S.Broadcast(0.5f), S.Fma(d2, S.Broadcast(2f), d1));
        y2 = S.Fma(s3, S.Broadcast(0.25f), S.Fma(s2, S.Broadcast(4f), s1));
        y3 = S.Add(S.Fma(d3, S.Broadcast(0.125f), S.Fma(d2, S.Broadcast(8f), d1)), m7);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OutputGradientTransform<S, V>(V* dy, float* dm, long stride)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        // Rows: r[i] = A·dY[i][·] (8 from 4), 32 vectors; then A down each of the 8 columns of r.
        V* r = stackalloc V[4 * Alpha];
        for (int i = 0; i < 4; i++)
        {
            V* row = dy + 4 * i, o = r + Alpha * i;
            A<S, V>(row[0], row[1], row[2], row[3], out o[0], out o[1], out o[2], out o[3], out o[4], out o[5], out o[6], out o[7]);
        }
        long s = Alpha * stride;
        for (int l = 0; l < Alpha; l++)
        {
            A<S, V>(r[l], r[Alpha + l], r[2 * Alpha + l], r[3 * Alpha + l],
                out var m0, out var m1, out var m2, out var m3, out var m4, out var m5, out var m6, out var m7);
            float* o = dm + l * stride;
            S.Store(o, m0); S.Store(o + s, m1); S.Store(o + 2 * s, m2); S.Store(o + 3 * s, m3);
            S.Store(o + 4 * s, m4); S.Store(o + 5 * s, m5); S.Store(o + 6 * s, m6); S.Store(o + 7 * s, m7);
        }
    }

    // (m0..m7) = A·(y0..y3), the adjoint of At.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void A<S, V>(V y0, V y1, V y2, V y3, out V m0, out V m1, out V m2, out V m3, out V m4, out V m5, out V m6, out V m7)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        var e1 = S.Add(y0, y2); var o1 = S.Add(y1, y3);
        var e2 = S.Fma(y2, S.Broadcast(4f), y0); var o2 = S.Fma(y3, S.Broadcast(8f), S.Mul(y1, S.Broadcast(2f)));
        var e3 = S.Fma(y2, S.Broadcast(0.25f), y0); var o3 = S.Fma(y3, S.Broadcast(0.125f), S.Mul(y1, S.Broadcast(0.5f)));
        m0 = y0;
        m1 = S.Add(e1, o1); m2 = S.Sub(e1, o1);
        m3 = S.Add(e2, o2); m4 = S.Sub(e2, o2);
        m5 = S.Add(e3, o3); m6 = S.Sub(e3, o3);
        m7 = y3;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void KernelTransform<S, V>(V* g, float* u, long uStride)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        // Rows: t[i] = G·g[i][·] (8 from 5), 40 vectors; then G down each of the 8 columns of t.
        V* t = stackalloc V[5 * Alpha];
        for (int i = 0; i < 5; i++)
        {
            V* r = g + i * 5, o = t + i * Alpha;
            G<S, V>(r[0], r[1], r[2], r[3], r[4], out o[0], out o[1], out o[2], out o[3], out o[4], out o[5], out o[6], out o[7]);
        }
        long s = Alpha * uStride;
        for (int l = 0; l < Alpha; l++)
        {
            G<S, V>(t[l], t[Alpha + l], t[2 * Alpha + l], t[3 * Alpha + l], t[4 * Alpha + l],
                out var u0, out var u1, out var u2, out var u3, out var u4, out var u5, out var u6, out var u7);
            float* o = u + l * uStride;
            S.Store(o, u0); S.Store(o + s, u1); S.Store(o + 2 * s, u2); S.Store(o + 3 * s, u3);
            S.Store(o + 4 * s, u4); S.Store(o + 5 * s, u5); S.Store(o + 6 * s, u6); S.Store(o + 7 * s, u7);
        }
    }

    // (w0..w7) = G·(v0..v4).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void G<S, V>(V v0, V v1, V v2, V v3, V v4,
        out V w0, out V w1, out V w2, out V w3, out V w4, out V w5, out V w6, out V w7)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        var even = S.Add(S.Add(v0, v2), v4);
        var odd = S.Add(v1, v3);
        var even3 = S.Fma(v0, S.Broadcast(1f / 90), S.Fma(v2, S.Broadcast(2f / 45), S.Mul(v4, S.Broadcast(8f / 45))));
        var odd3 = S.Fma(v1, S.Broadcast(1f / 45), S.Mul(v3, S.Broadcast(4f / 45)));
        var even5 = S.Fma(v0, S.Broadcast(32f / 45), S.Fma(v2, S.Broadcast(8f / 45), S.Mul(v4, S.Broadcast(2f / 45))));
        var odd5 = S.Fma(v1, S.Broadcast(16f / 45), S.Mul(v3, S.Broadcast(4f / 45)));
        w0 = v0;
        w1 = S.Mul(S.Add(even, odd), S.Broadcast(-2f / 9));
        w2 = S.Mul(S.Sub(even, odd), S.Broadcast(-2f / 9));
        w3 = S.Add(even3, odd3); w4 = S.Sub(even3, odd3);
        w5 = S.Add(even5, odd5); w6 = S.Sub(even5, odd5);
        w7 = v4;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void KernelGradientTransform<S, V>(float* du, long duStride, V* dg)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        // Columns: c[l] = Gᵀ·dU[·][l] (5 from 8); then the rows of c.
        V* c = stackalloc V[Alpha * 5];
        long s = Alpha * duStride;
        for (int l = 0; l < Alpha; l++)
        {
            float* col = du + l * duStride;
            Gt<S, V>(S.Load(col), S.Load(col + s), S.Load(col + 2 * s), S.Load(col + 3 * s),
                S.Load(col + 4 * s), S.Load(col + 5 * s), S.Load(col + 6 * s), S.Load(col + 7 * s),
                out c[l], out c[Alpha + l], out c[2 * Alpha + l], out c[3 * Alpha + l], out c[4 * Alpha + l]);
        }
        for (int i = 0; i < 5; i++)
        {
            var r = c + i * Alpha;
            Gt<S, V>(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], out dg[i * 5], out dg[i * 5 + 1], out dg[i * 5 + 2],
                out dg[i * 5 + 3], out dg[i * 5 + 4]);
        }
    }

    // (w0..w4) = Gᵀ·(v0..v7), the adjoint of G.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gt<S, V>(V v0, V v1, V v2, V v3, V v4, V v5, V v6, V v7, out V w0, out V w1, out V w2, out V w3, out V w4)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        var s1 = S.Add(v1, v2); var d1 = S.Sub(v1, v2);
        var s3 = S.Add(v3, v4); var d3 = S.Sub(v3, v4);
        var s5 = S.Add(v5, v6); var d5 = S.Sub(v5, v6);
        var ninths = S.Broadcast(-2f / 9);
        w0 = S.Fma(s1, ninths, S.Fma(s3, S.Broadcast(1f / 90), S.Fma(s5, S.Broadcast(32f / 45), v0)));
        w1 = S.Fma(d1, ninths, S.Fma(d3, S.Broadcast(1f / 45), S.Mul(d5, S.Broadcast(16f / 45))));
        w2 = S.Fma(s1, ninths, S.Fma(s3, S.Broadcast(2f / 45), S.Mul(s5, S.Broadcast(8f / 45))));
        w3 = S.Fma(d1, ninths, S.Fma(d3, S.Broadcast(4f / 45), S.Mul(d5, S.Broadcast(4f / 45))));
        w4 = S.Fma(s1, ninths, S.Fma(s3, S.Broadcast(8f / 45), S.Fma(s5, S.Broadcast(2f / 45), v7)));
    }
}

/// <summary>
/// The input transform of every F(m, r) over the points 0, ±1, ±2, ±½, ∞ (α = 8; <see cref="WinogradF4x5"/>):
/// <code>
///      ⎡1   0   −21/4    0    21/4    0   −1  0⎤
///      ⎢0   1     1   −17/4  −17/4    1    1  0⎥
///      ⎢0  −1     1    17/4  −17/4   −1    1  0⎥
/// Bᵀ = ⎢0  1/2   1/4   −5/2   −5/4    2    1  0⎥        V = Bᵀ d B
///      ⎢0 −1/2   1/4    5/2   −5/4   −2    1  0⎥
///      ⎢0   2     4    −5/2    −5    1/2   1  0⎥
///      ⎢0  −2     4     5/2    −5   −1/2   1  0⎥
///      ⎣0  −1     0    21/4     0   −21/4  0  1⎦
/// </code>
/// (as NNPACK's F(6×6, 3×3), which has the same points). Like <see cref="WinogradBasis"/>, L channels at once, one per lane.
/// </summary>
[SkipLocalsInit]
internal static unsafe class WinogradBasis8
{
    /// <summary>Side of a transformed tile (m + r − 1).</summary>
    public const int Alpha = 8;

    /// <summary>
    /// V = Bᵀ d B for L lanes: d[i][j] = src[i·rowStride + j·colStride] (vectors), V[ξ] → dst[ξ·dstStride].
    /// Columns go through <paramref name="scratch"/> (64 vectors); rows are written straight to dst.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputTransform<S, V>(float* src, long rowStride, long colStride, float* dst, long dstStride, V* scratch)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        for (int j = 0; j < Alpha; j++)
        {
            float* col = src + j * colStride;
            V* o = scratch + j;
            Bt<S, V>(S.Load(col), S.Load(col + rowStride), S.Load(col + 2 * rowStride), S.Load(col + 3 * rowStride),
                S.Load(col + 4 * rowStride), S.Load(col + 5 * rowStride), S.Load(col + 6 * rowStride), S.Load(col + 7 * rowStride),
                out o[0], out o[Alpha], out o[2 * Alpha], out o[3 * Alpha], out o[4 * Alpha], out o[5 * Alpha], out o[6 * Alpha], out o[7 * Alpha]);
        }
        for (int k = 0; k < Alpha; k++)
        {
            var row = scratch + k * Alpha;
            Bt<S, V>(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7],
                out var v0, out var v1, out var v2, out var v3, out var v4, out var v5, out var v6, out var v7);
            float* o = dst + k * Alpha * dstStride;
            S.Store(o, v0); S.Store(o + dstStride, v1); S.Store(o + 2 * dstStride, v2); S.Store(o + 3 * dstStride, v3);
            S.Store(o + 4 * dstStride, v4); S.Store(o + 5 * dstStride, v5); S.Store(o + 6 * dstStride, v6); S.Store(o + 7 * dstStride, v7);
        }
    }

    // (o0..o7) = Bᵀ·(d0..d7).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Bt<S, V>(V d0, V d1, V d2, V d3, V d4, V d5, V d6, V d7,
        out V o0, out V o1, out V o2, out V o3, out V o4, out V o5, out V o6, out V o7)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        var t1 = S.Fma(d4, S.Broadcast(-4.25f), S.Add(d2, d6));
        var t2 = S.Fma(d3, S.Broadcast(-4.25f), S.Add(d1, d5));
        var t3 = S.Fma(d4, S.Broadcast(-1.25f), S.Fma(d2, S.Broadcast(0.25f), d6));
        var t4 = S.Fma(d5, S.Broadcast(2f), S.Fma(d3, S.Broadcast(-2.5f), S.Mul(d1, S.Broadcast(0.5f))));
        var t5 = S.Fma(d4, S.Broadcast(-5f), S.Fma(d2, S.Broadcast(4f), d6));
        var t6 = S.Fma(d5, S.Broadcast(0.5f), S.Fma(d3, S.Broadcast(-2.5f), S.Mul(d1, S.Broadcast(2f))));
        o0 = S.Fma(S.Sub(d4, d2), S.Broadcast(5.25f), S.Sub(d0, d6));
        o1 = S.Add(t1, t2); o2 = S.Sub(t1, t2);
        o3 = S.Add(t3, t4); o4 = S.Sub(t3, t4);
        o5 = S.Add(t5, t6); o6 = S.Sub(t5, t6);
        o7 = S.Fma(S.Sub(d3, d5), S.Broadcast(5.25f), S.Sub(d7, d1));
    }
}
