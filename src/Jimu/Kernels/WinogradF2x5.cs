using System.Runtime.CompilerServices;

namespace Jimu.Kernels;

/// <summary>
/// Winograd's minimal filtering F(2×2, 5×5) (<see cref="IWinogradTiles"/>): a 2×2 output tile y of a 5×5 kernel g over
/// a 6×6 input tile d (input transform Bᵀ: <see cref="WinogradBasis"/>):
/// <code>
/// y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A          36 multiplications instead of 4 · 25 = 100
///
///     ⎡ 1/4    0     0     0     0 ⎤
///     ⎢−1/6  −1/6  −1/6  −1/6  −1/6⎥
/// G = ⎢−1/6   1/6  −1/6   1/6  −1/6⎥    Aᵀ = ⎡1  1  1  1  1  0⎤
///     ⎢1/24  1/12   1/6   1/3   2/3⎥         ⎣0  1 −1  2 −2  1⎦
///     ⎢1/24 −1/12   1/6  −1/3   2/3⎥
///     ⎣  0     0     0     0     1 ⎦
/// </code>
/// (derived as in Lavin's wincnn; y[i][j] = Σ_ab g[a][b]·d[i+a][j+b], a correlation like every framework's convolution).
/// The kernel transforms take one kernel per vector lane.
/// </summary>
[SkipLocalsInit]
internal readonly unsafe struct WinogradF2x5 : IWinogradTiles
{
    /// <inheritdoc/>
    public static int Out => 2;
    /// <inheritdoc/>
    public static int Kernel => 5;
    /// <inheritdoc/>
    public static int Alpha => WinogradBasis.Alpha;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void InputTransform<S, V>(float* src, long rowStride, long colStride, float* dst, long dstStride, V* scratch)
        where S : struct, ISimdWidth<V> where V : unmanaged =>
        WinogradBasis.InputTransform<S, V>(src, rowStride, colStride, dst, dstStride, scratch);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OutputTransform<S, V>(float* src, long srcStride, V bias, V* y, int yRowStride)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        // Rows first, t_j[k] = (M A)[k][j], kept in registers; then Aᵀ down the two columns.
        At<S, V>(src, srcStride, out var a0, out var b0);
        At<S, V>(src + 6 * srcStride, srcStride, out var a1, out var b1);
        At<S, V>(src + 12 * srcStride, srcStride, out var a2, out var b2);
        At<S, V>(src + 18 * srcStride, srcStride, out var a3, out var b3);
        At<S, V>(src + 24 * srcStride, srcStride, out var a4, out var b4);
        At<S, V>(src + 30 * srcStride, srcStride, out var a5, out var b5);
        y[0] = S.Add(S.Add(S.Add(S.Add(S.Add(a0, a1), a2), a3), a4), bias);
        y[1] = S.Add(S.Add(S.Add(S.Add(S.Add(b0, b1), b2), b3), b4), bias);
        y[yRowStride] = S.Add(S.Add(S.Fma(S.Sub(a3, a4), S.Broadcast(2f), S.Sub(a1, a2)), a5), bias);
        y[yRowStride + 1] = S.Add(S.Add(S.Fma(S.Sub(b3, b4), S.Broadcast(2f), S.Sub(b1, b2)), b5), bias);
    }

    // (y0, y1) = Aᵀ·(six vectors at the given stride).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void At<S, V>(float* m, long stride, out V y0, out V y1)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        var m0 = S.Load(m); var m1 = S.Load(m + stride); var m2 = S.Load(m + 2 * stride);
        var m3 = S.Load(m + 3 * stride); var m4 = S.Load(m + 4 * stride); var m5 = S.Load(m + 5 * stride);
        y0 = S.Add(S.Add(S.Add(S.Add(m0, m1), m2), m3), m4);
        y1 = S.Add(S.Fma(S.Sub(m3, m4), S.Broadcast(2f), S.Sub(m1, m2)), m5);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OutputGradientTransform<S, V>(V* dy, float* dm, long stride)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        // Rows: r_i = A·(y_i0, y_i1), twelve vectors in registers; then each column l of A·(r_0[l], r_1[l]).
        A<S, V>(dy[0], dy[1], out var r00, out var r01, out var r02, out var r03, out var r04, out var r05);
        A<S, V>(dy[2], dy[3], out var r10, out var r11, out var r12, out var r13, out var r14, out var r15);
        Column<S, V>(r00, r10, dm, stride);
        Column<S, V>(r01, r11, dm + stride, stride);
        Column<S, V>(r02, r12, dm + 2 * stride, stride);
        Column<S, V>(r03, r13, dm + 3 * stride, stride);
        Column<S, V>(r04, r14, dm + 4 * stride, stride);
        Column<S, V>(r05, r15, dm + 5 * stride, stride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Column<S, V>(V y0, V y1, float* dm, long stride)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        A<S, V>(y0, y1, out var m0, out var m1, out var m2, out var m3, out var m4, out var m5);
        long s = Alpha * stride;
        S.Store(dm, m0); S.Store(dm + s, m1); S.Store(dm + 2 * s, m2); S.Store(dm + 3 * s, m3); S.Store(dm + 4 * s, m4); S.Store(dm + 5 * s, m5);
    }

    // (m0..m5) = A·(y0, y1), the adjoint of At.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void A<S, V>(V y0, V y1, out V m0, out V m1, out V m2, out V m3, out V m4, out V m5)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        var twice = S.Mul(y1, S.Broadcast(2f));
        m0 = y0;
        m1 = S.Add(y0, y1);
        m2 = S.Sub(y0, y1);
        m3 = S.Add(y0, twice);
        m4 = S.Sub(y0, twice);
        m5 = y1;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void KernelTransform<S, V>(V* g, float* u, long uStride)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        // Rows: t[i] = G·g[i][·] (6 from 5), 30 vectors; then G down each of the 6 columns of t.
        V* t = stackalloc V[5 * Alpha];
        for (int i = 0; i < 5; i++)
        {
            var r = g + i * 5;
            G<S, V>(r[0], r[1], r[2], r[3], r[4], out t[i * Alpha], out t[i * Alpha + 1], out t[i * Alpha + 2],
                out t[i * Alpha + 3], out t[i * Alpha + 4], out t[i * Alpha + 5]);
        }
        long s = Alpha * uStride;
        for (int l = 0; l < Alpha; l++)
        {
            G<S, V>(t[l], t[Alpha + l], t[2 * Alpha + l], t[3 * Alpha + l], t[4 * Alpha + l],
                out var u0, out var u1, out var u2, out var u3, out var u4, out var u5);
            float* o = u + l * uStride;
            S.Store(o, u0); S.Store(o + s, u1); S.Store(o + 2 * s, u2); S.Store(o + 3 * s, u3); S.Store(o + 4 * s, u4); S.Store(o + 5 * s, u5);
        }
    }

    // (w0..w5) = G·(v0..v4).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void G<S, V>(V v0, V v1, V v2, V v3, V v4, out V w0, out V w1, out V w2, out V w3, out V w4, out V w5)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        const float Sixth = 1f / 6;
        var even = S.Add(S.Add(v0, v2), v4);
        var odd = S.Add(v1, v3);
        var even2 = S.Fma(v0, S.Broadcast(1f / 24), S.Fma(v2, S.Broadcast(Sixth), S.Mul(v4, S.Broadcast(2f / 3))));
        var odd2 = S.Fma(v1, S.Broadcast(1f / 12), S.Mul(v3, S.Broadcast(1f / 3)));
        w0 = S.Mul(v0, S.Broadcast(0.25f));
        w1 = S.Mul(S.Add(even, odd), S.Broadcast(-Sixth));
        w2 = S.Mul(S.Sub(even, odd), S.Broadcast(-Sixth));
        w3 = S.Add(even2, odd2);
        w4 = S.Sub(even2, odd2);
        w5 = v4;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void KernelGradientTransform<S, V>(float* du, long duStride, V* dg)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        // Columns: c[l] = Gᵀ·dU[·][l] (5 from 6); then the rows of c.
        V* c = stackalloc V[Alpha * 5];
        long s = Alpha * duStride;
        for (int l = 0; l < Alpha; l++)
        {
            float* col = du + l * duStride;
            Gt<S, V>(S.Load(col), S.Load(col + s), S.Load(col + 2 * s), S.Load(col + 3 * s),
                S.Load(col + 4 * s), S.Load(col + 5 * s),
                out c[l], out c[Alpha + l], out c[2 * Alpha + l], out c[3 * Alpha + l], out c[4 * Alpha + l]);
        }
        for (int i = 0; i < 5; i++)
        {
            var r = c + i * Alpha;
            Gt<S, V>(r[0], r[1], r[2], r[3], r[4], r[5], out dg[i * 5], out dg[i * 5 + 1], out dg[i * 5 + 2],
                out dg[i * 5 + 3], out dg[i * 5 + 4]);
        }
    }

    // (w0..w4) = Gᵀ·(v0..v5), the adjoint of G.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gt<S, V>(V v0, V v1, V v2, V v3, V v4, V v5, out V w0, out V w1, out V w2, out V w3, out V w4)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        const float Sixth = 1f / 6;
        var p = S.Add(v1, v2);
        var q = S.Sub(v2, v1);
        var s = S.Add(v3, v4);
        var d = S.Sub(v3, v4);
        w0 = S.Fma(v0, S.Broadcast(0.25f), S.Fma(p, S.Broadcast(-Sixth), S.Mul(s, S.Broadcast(1f / 24))));
        w1 = S.Fma(q, S.Broadcast(Sixth), S.Mul(d, S.Broadcast(1f / 12)));
        w2 = S.Mul(S.Sub(s, p), S.Broadcast(Sixth));
        w3 = S.Fma(q, S.Broadcast(Sixth), S.Mul(d, S.Broadcast(1f / 3)));
        w4 = S.Fma(p, S.Broadcast(-Sixth), S.Fma(s, S.Broadcast(2f / 3), v5));
    }
}
