using System.Runtime.CompilerServices;

namespace Jimu.Kernels;

/// <summary>
/// Winograd's minimal filtering F(4×4, 3×3) (<see cref="IWinogradTiles"/>): a 4×4 output tile y of a 3×3 kernel g over
/// a 6×6 input tile d, with the same points and input transform as <see cref="WinogradF2x5"/> (<see cref="WinogradBasis"/>):
/// <code>
/// y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A          36 multiplications instead of 16 · 9 = 144
///
///     ⎡ 1/4    0     0 ⎤
///     ⎢−1/6  −1/6  −1/6⎥         ⎡1  1  1  1  1  0⎤
/// G = ⎢−1/6   1/6  −1/6⎥    Aᵀ = ⎢0  1 −1  2 −2  0⎥
///     ⎢1/24  1/12   1/6⎥         ⎢0  1  1  4  4  0⎥
///     ⎢1/24 −1/12   1/6⎥         ⎣0  1 −1  8 −8  1⎦
///     ⎣  0     0     1 ⎦
/// </code>
/// Aᵀ's rows are the points' powers 0..3 (F(2, 5) uses 0..1), so the output transform scales terms up to 8× before
/// they cancel: results agree with the direct loops to about 1e-4 of the magnitudes, as F(2, 5)'s do.
/// </summary>
[SkipLocalsInit]
internal readonly unsafe struct WinogradF4x3 : IWinogradTiles
{
    /// <inheritdoc/>
    public static int Out => 4;
    /// <inheritdoc/>
    public static int Kernel => 3;
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
        // Rows first: t[k][j] = (M A)[k][j], 24 vectors; then Aᵀ down each of the four columns.
        V* t = stackalloc V[Alpha * 4];
        for (int k = 0; k < Alpha; k++)
        {
            float* m = src + k * Alpha * srcStride;
            At<S, V>(S.Load(m), S.Load(m + srcStride), S.Load(m + 2 * srcStride), S.Load(m + 3 * srcStride),
                S.Load(m + 4 * srcStride), S.Load(m + 5 * srcStride),
                out t[4 * k], out t[4 * k + 1], out t[4 * k + 2], out t[4 * k + 3]);
        }
        for (int j = 0; j < 4; j++)
        {
            At<S, V>(t[j], t[4 + j], t[8 + j], t[12 + j], t[16 + j], t[20 + j], out var y0, out var y1, out var y2, out var y3);
            y[j] = S.Add(y0, bias);
            y[yRowStride + j] = S.Add(y1, bias);
            y[2 * yRowStride + j] = S.Add(y2, bias);
            y[3 * yRowStride + j] = S.Add(y3, bias);
        }
    }

    // (y0..y3) = Aᵀ·(m0..m5).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void At<S, V>(V m0, V m1, V m2, V m3, V m4, V m5, out V y0, out V y1, out V y2, out V y3)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        var s12 = S.Add(m1, m2); var d12 = S.Sub(m1, m2);
        var s34 = S.Add(m3, m4); var d34 = S.Sub(m3, m4);
        y0 = S.Add(S.Add(m0, s12), s34);
        y1 = S.Fma(d34, S.Broadcast(2f), d12);
        y2 = S.Fma(s34, S.Broadcast(4f), s12);
        y3 = S.Add(S.Fma(d34, S.Broadcast(8f), d12), m5);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OutputGradientTransform<S, V>(V* dy, float* dm, long stride)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        // Rows: r[i][l] = (dY Aᵀ)[i][l], 24 vectors; then A down each of the six columns.
        V* r = stackalloc V[4 * Alpha];
        for (int i = 0; i < 4; i++)
            A<S, V>(dy[4 * i], dy[4 * i + 1], dy[4 * i + 2], dy[4 * i + 3],
                out r[Alpha * i], out r[Alpha * i + 1], out r[Alpha * i + 2], out r[Alpha * i + 3], out r[Alpha * i + 4], out r[Alpha * i + 5]);
        long s = Alpha * stride;
        for (int l = 0; l < Alpha; l++)
        {
            A<S, V>(r[l], r[Alpha + l], r[2 * Alpha + l], r[3 * Alpha + l], out var m0, out var m1, out var m2, out var m3, out var m4, out var m5);
            float* o = dm + l * stride;
            S.Store(o, m0); S.Store(o + s, m1); S.Store(o + 2 * s, m2); S.Store(o + 3 * s, m3); S.Store(o + 4 * s, m4); S.Store(o + 5 * s, m5);
        }
    }

    // (m0..m5) = A·(y0..y3), the adjoint of At.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void A<S, V>(V y0, V y1, V y2, V y3, out V m0, out V m1, out V m2, out V m3, out V m4, out V m5)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        var even = S.Add(y0, y2);
        var odd = S.Add(y1, y3);
        var even2 = S.Fma(y2, S.Broadcast(4f), y0);
        var odd2 = S.Fma(y3, S.Broadcast(8f), S.Mul(y1, S.Broadcast(2f)));
        m0 = y0;
        m1 = S.Add(even, odd);
        m2 = S.Sub(even, odd);
        m3 = S.Add(even2, odd2);
        m4 = S.Sub(even2, odd2);
        m5 = y3;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void KernelTransform<S, V>(V* g, float* u, long uStride)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        // Rows: t[i] = G·g[i][·] (6 from 3), 18 vectors; then G down each of the 6 columns of t.
        V* t = stackalloc V[3 * Alpha];
        for (int i = 0; i < 3; i++)
        {
            var r = g + i * 3;
            G<S, V>(r[0], r[1], r[2], out t[i * Alpha], out t[i * Alpha + 1], out t[i * Alpha + 2],
                out t[i * Alpha + 3], out t[i * Alpha + 4], out t[i * Alpha + 5]);
        }
        long s = Alpha * uStride;
        for (int l = 0; l < Alpha; l++)
        {
            G<S, V>(t[l], t[Alpha + l], t[2 * Alpha + l], out var u0, out var u1, out var u2, out var u3, out var u4, out var u5);
            float* o = u + l * uStride;
            S.Store(o, u0); S.Store(o + s, u1); S.Store(o + 2 * s, u2); S.Store(o + 3 * s, u3); S.Store(o + 4 * s, u4); S.Store(o + 5 * s, u5);
        }
    }

    // (w0..w5) = G·(v0, v1, v2).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void G<S, V>(V v0, V v1, V v2, out V w0, out V w1, out V w2, out V w3, out V w4, out V w5)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        const float Sixth = 1f / 6;
        var even = S.Add(v0, v2);
        var even2 = S.Fma(v0, S.Broadcast(1f / 24), S.Mul(v2, S.Broadcast(Sixth)));
        var odd2 = S.Mul(v1, S.Broadcast(1f / 12));
        w0 = S.Mul(v0, S.Broadcast(0.25f));
        w1 = S.Mul(S.Add(even, v1), S.Broadcast(-Sixth));
        w2 = S.Mul(S.Sub(even, v1), S.Broadcast(-Sixth));
        w3 = S.Add(even2, odd2);
        w4 = S.Sub(even2, odd2);
        w5 = v2;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void KernelGradientTransform<S, V>(float* du, long duStride, V* dg)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        // Columns: c[i][l] = (Gᵀ dU)[i][l] (3 from 6); then the rows of c.
        V* c = stackalloc V[Alpha * 3];
        long s = Alpha * duStride;
        for (int l = 0; l < Alpha; l++)
        {
            float* col = du + l * duStride;
            Gt<S, V>(S.Load(col), S.Load(col + s), S.Load(col + 2 * s), S.Load(col + 3 * s),
                S.Load(col + 4 * s), S.Load(col + 5 * s), out c[l], out c[Alpha + l], out c[2 * Alpha + l]);
        }
        for (int i = 0; i < 3; i++)
        {
            var r = c + i * Alpha;
            Gt<S, V>(r[0], r[1], r[2], r[3], r[4], r[5], out dg[i * 3], out dg[i * 3 + 1], out dg[i * 3 + 2]);
        }
    }

    // (w0, w1, w2) = Gᵀ·(v0..v5), the adjoint of G.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gt<S, V>(V v0, V v1, V v2, V v3, V v4, V v5, out V w0, out V w1, out V w2)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        const float Sixth = 1f / 6;
        var p = S.Add(v1, v2);
        var q = S.Sub(v2, v1);
        var s = S.Add(v3, v4);
        var d = S.Sub(v3, v4);
        w0 = S.Fma(v0, S.Broadcast(0.25f), S.Fma(p, S.Broadcast(-Sixth), S.Mul(s, S.Broadcast(1f / 24))));
        w1 = S.Fma(q, S.Broadcast(Sixth), S.Mul(d, S.Broadcast(1f / 12)));
        w2 = S.Fma(S.Sub(s, p), S.Broadcast(Sixth), v5);
    }
}
