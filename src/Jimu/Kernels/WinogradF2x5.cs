using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
/// The kernel transforms take 16 kernels at once.
/// </summary>
[SkipLocalsInit]
internal readonly unsafe struct WinogradF2x5 : IWinogradTiles
{
    private const int Alpha = WinogradBasis.Alpha;

    /// <inheritdoc/>
    public static int Out => 2;
    /// <inheritdoc/>
    public static int Kernel => 5;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OutputTransform(float* src, long srcStride, Vector512<float> bias, Vector512<float>* y, int yRowStride)
    {
        // Rows first, t_j[k] = (M A)[k][j], kept in registers; then Aᵀ down the two columns.
        At(src, srcStride, out var a0, out var b0);
        At(src + 6 * srcStride, srcStride, out var a1, out var b1);
        At(src + 12 * srcStride, srcStride, out var a2, out var b2);
        At(src + 18 * srcStride, srcStride, out var a3, out var b3);
        At(src + 24 * srcStride, srcStride, out var a4, out var b4);
        At(src + 30 * srcStride, srcStride, out var a5, out var b5);
        y[0] = a0 + a1 + a2 + a3 + a4 + bias;
        y[1] = b0 + b1 + b2 + b3 + b4 + bias;
        y[yRowStride] = Vector512.FusedMultiplyAdd(a3 - a4, Vector512.Create(2f), a1 - a2) + a5 + bias;
        y[yRowStride + 1] = Vector512.FusedMultiplyAdd(b3 - b4, Vector512.Create(2f), b1 - b2) + b5 + bias;
    }

    // (y0, y1) = Aᵀ·(six vectors at the given stride).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void At(float* m, long stride, out Vector512<float> y0, out Vector512<float> y1)
    {
        var m0 = Vector512.Load(m); var m1 = Vector512.Load(m + stride); var m2 = Vector512.Load(m + 2 * stride);
        var m3 = Vector512.Load(m + 3 * stride); var m4 = Vector512.Load(m + 4 * stride); var m5 = Vector512.Load(m + 5 * stride);
        y0 = m0 + m1 + m2 + m3 + m4;
        y1 = Vector512.FusedMultiplyAdd(m3 - m4, Vector512.Create(2f), m1 - m2) + m5;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OutputGradientTransform(Vector512<float>* dy, float* lo, float* hi, long stride)
    {
        // Rows: r_i = A·(y_i0, y_i1), twelve vectors in registers; then each column l of A·(r_0[l], r_1[l]).
        A(dy[0], dy[1], out var r00, out var r01, out var r02, out var r03, out var r04, out var r05);
        A(dy[2], dy[3], out var r10, out var r11, out var r12, out var r13, out var r14, out var r15);
        Column(r00, r10, lo, hi, stride);
        Column(r01, r11, lo + stride, hi + stride, stride);
        Column(r02, r12, lo + 2 * stride, hi + 2 * stride, stride);
        Column(r03, r13, lo + 3 * stride, hi + 3 * stride, stride);
        Column(r04, r14, lo + 4 * stride, hi + 4 * stride, stride);
        Column(r05, r15, lo + 5 * stride, hi + 5 * stride, stride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Column(Vector512<float> y0, Vector512<float> y1, float* lo, float* hi, long stride)
    {
        A(y0, y1, out var m0, out var m1, out var m2, out var m3, out var m4, out var m5);
        long s = Alpha * stride;
        WinogradBasis.Halves(m0, lo, hi); WinogradBasis.Halves(m1, lo + s, hi + s); WinogradBasis.Halves(m2, lo + 2 * s, hi + 2 * s);
        WinogradBasis.Halves(m3, lo + 3 * s, hi + 3 * s); WinogradBasis.Halves(m4, lo + 4 * s, hi + 4 * s); WinogradBasis.Halves(m5, lo + 5 * s, hi + 5 * s);
    }

    // (m0..m5) = A·(y0, y1), the adjoint of At.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void A(Vector512<float> y0, Vector512<float> y1,
        out Vector512<float> m0, out Vector512<float> m1, out Vector512<float> m2, out Vector512<float> m3, out Vector512<float> m4, out Vector512<float> m5)
    {
        var twice = y1 * 2f;
        m0 = y0;
        m1 = y0 + y1;
        m2 = y0 - y1;
        m3 = y0 + twice;
        m4 = y0 - twice;
        m5 = y1;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void KernelTransform(Vector512<float>* g, float* u, long uStride)
    {
        // Rows: t[i] = G·g[i][·] (6 from 5), 30 vectors; then G down each of the 6 columns of t.
        Vector512<float>* t = stackalloc Vector512<float>[5 * Alpha];
        for (int i = 0; i < 5; i++)
        {
            var r = g + i * 5;
            G(r[0], r[1], r[2], r[3], r[4], out t[i * Alpha], out t[i * Alpha + 1], out t[i * Alpha + 2],
                out t[i * Alpha + 3], out t[i * Alpha + 4], out t[i * Alpha + 5]);
        }
        for (int l = 0; l < Alpha; l++)
        {
            G(t[l], t[Alpha + l], t[2 * Alpha + l], t[3 * Alpha + l], t[4 * Alpha + l],
                out var u0, out var u1, out var u2, out var u3, out var u4, out var u5);
            float* o = u + l * uStride;
            long s = Alpha * uStride;
            u0.Store(o); u1.Store(o + s); u2.Store(o + 2 * s); u3.Store(o + 3 * s); u4.Store(o + 4 * s); u5.Store(o + 5 * s);
        }
    }

    // (w0..w5) = G·(v0..v4).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void G(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, Vector512<float> v4,
        out Vector512<float> w0, out Vector512<float> w1, out Vector512<float> w2, out Vector512<float> w3, out Vector512<float> w4, out Vector512<float> w5)
    {
        const float Sixth = 1f / 6;
        var even = v0 + v2 + v4;
        var odd = v1 + v3;
        var even2 = Vector512.FusedMultiplyAdd(v0, Vector512.Create(1f / 24), Vector512.FusedMultiplyAdd(v2, Vector512.Create(Sixth), v4 * (2f / 3)));
        var odd2 = Vector512.FusedMultiplyAdd(v1, Vector512.Create(1f / 12), v3 * (1f / 3));
        w0 = v0 * 0.25f;
        w1 = (even + odd) * -Sixth;
        w2 = (even - odd) * -Sixth;
        w3 = even2 + odd2;
        w4 = even2 - odd2;
        w5 = v4;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void KernelGradientTransform(float* du, long duStride, Vector512<float>* dg)
    {
        // Columns: c[l] = Gᵀ·dU[·][l] (5 from 6); then the rows of c.
        Vector512<float>* c = stackalloc Vector512<float>[Alpha * 5];
        long s = Alpha * duStride;
        for (int l = 0; l < Alpha; l++)
        {
            float* col = du + l * duStride;
            Gt(Vector512.Load(col), Vector512.Load(col + s), Vector512.Load(col + 2 * s), Vector512.Load(col + 3 * s),
                Vector512.Load(col + 4 * s), Vector512.Load(col + 5 * s),
                out c[l], out c[Alpha + l], out c[2 * Alpha + l], out c[3 * Alpha + l], out c[4 * Alpha + l]);
        }
        for (int i = 0; i < 5; i++)
        {
            var r = c + i * Alpha;
            Gt(r[0], r[1], r[2], r[3], r[4], r[5], out dg[i * 5], out dg[i * 5 + 1], out dg[i * 5 + 2],
                out dg[i * 5 + 3], out dg[i * 5 + 4]);
        }
    }

    // (w0..w4) = Gᵀ·(v0..v5), the adjoint of G.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gt(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, Vector512<float> v4, Vector512<float> v5,
        out Vector512<float> w0, out Vector512<float> w1, out Vector512<float> w2, out Vector512<float> w3, out Vector512<float> w4)
    {
        const float Sixth = 1f / 6;
        var p = v1 + v2;
        var q = v2 - v1;
        var s = v3 + v4;
        var d = v3 - v4;
        w0 = Vector512.FusedMultiplyAdd(v0, Vector512.Create(0.25f), Vector512.FusedMultiplyAdd(p, Vector512.Create(-Sixth), s * (1f / 24)));
        w1 = Vector512.FusedMultiplyAdd(q, Vector512.Create(Sixth), d * (1f / 12));
        w2 = (s - p) * Sixth;
        w3 = Vector512.FusedMultiplyAdd(q, Vector512.Create(Sixth), d * (1f / 3));
        w4 = Vector512.FusedMultiplyAdd(p, Vector512.Create(-Sixth), Vector512.FusedMultiplyAdd(s, Vector512.Create(2f / 3), v5));
    }
}
