using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
    private const int Alpha = WinogradBasis.Alpha;

    /// <inheritdoc/>
    public static int Out => 4;
    /// <inheritdoc/>
    public static int Kernel => 3;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OutputTransform(float* src, long srcStride, Vector512<float> bias, Vector512<float>* y, int yRowStride)
    {
        // Rows first: t[k][j] = (M A)[k][j], 24 vectors; then Aᵀ down each of the four columns.
        Vector512<float>* t = stackalloc Vector512<float>[Alpha * 4];
        for (int k = 0; k < Alpha; k++)
        {
            float* m = src + k * Alpha * srcStride;
            At(Vector512.Load(m), Vector512.Load(m + srcStride), Vector512.Load(m + 2 * srcStride), Vector512.Load(m + 3 * srcStride),
                Vector512.Load(m + 4 * srcStride), Vector512.Load(m + 5 * srcStride),
                out t[4 * k], out t[4 * k + 1], out t[4 * k + 2], out t[4 * k + 3]);
        }
        for (int j = 0; j < 4; j++)
        {
            At(t[j], t[4 + j], t[8 + j], t[12 + j], t[16 + j], t[20 + j], out var y0, out var y1, out var y2, out var y3);
            y[j] = y0 + bias;
            y[yRowStride + j] = y1 + bias;
            y[2 * yRowStride + j] = y2 + bias;
            y[3 * yRowStride + j] = y3 + bias;
        }
    }

    // (y0..y3) = Aᵀ·(m0..m5).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void At(Vector512<float> m0, Vector512<float> m1, Vector512<float> m2, Vector512<float> m3, Vector512<float> m4, Vector512<float> m5,
        out Vector512<float> y0, out Vector512<float> y1, out Vector512<float> y2, out Vector512<float> y3)
    {
        var s12 = m1 + m2; var d12 = m1 - m2;
        var s34 = m3 + m4; var d34 = m3 - m4;
        y0 = m0 + s12 + s34;
        y1 = Vector512.FusedMultiplyAdd(d34, Vector512.Create(2f), d12);
        y2 = Vector512.FusedMultiplyAdd(s34, Vector512.Create(4f), s12);
        y3 = Vector512.FusedMultiplyAdd(d34, Vector512.Create(8f), d12) + m5;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OutputGradientTransform(Vector512<float>* dy, float* lo, float* hi, long stride)
    {
        // Rows: r[i][l] = (dY Aᵀ)[i][l], 24 vectors; then A down each of the six columns.
        Vector512<float>* r = stackalloc Vector512<float>[4 * Alpha];
        for (int i = 0; i < 4; i++)
            A(dy[4 * i], dy[4 * i + 1], dy[4 * i + 2], dy[4 * i + 3],
                out r[Alpha * i], out r[Alpha * i + 1], out r[Alpha * i + 2], out r[Alpha * i + 3], out r[Alpha * i + 4], out r[Alpha * i + 5]);
        long s = Alpha * stride;
        for (int l = 0; l < Alpha; l++)
        {
            A(r[l], r[Alpha + l], r[2 * Alpha + l], r[3 * Alpha + l], out var m0, out var m1, out var m2, out var m3, out var m4, out var m5);
            float* a = lo + l * stride, b = hi + l * stride;
            WinogradBasis.Halves(m0, a, b); WinogradBasis.Halves(m1, a + s, b + s); WinogradBasis.Halves(m2, a + 2 * s, b + 2 * s);
            WinogradBasis.Halves(m3, a + 3 * s, b + 3 * s); WinogradBasis.Halves(m4, a + 4 * s, b + 4 * s); WinogradBasis.Halves(m5, a + 5 * s, b + 5 * s);
        }
    }

    // (m0..m5) = A·(y0..y3), the adjoint of At.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void A(Vector512<float> y0, Vector512<float> y1, Vector512<float> y2, Vector512<float> y3,
        out Vector512<float> m0, out Vector512<float> m1, out Vector512<float> m2, out Vector512<float> m3, out Vector512<float> m4, out Vector512<float> m5)
    {
        var even = y0 + y2;
        var odd = y1 + y3;
        var even2 = Vector512.FusedMultiplyAdd(y2, Vector512.Create(4f), y0);
        var odd2 = Vector512.FusedMultiplyAdd(y3, Vector512.Create(8f), y1 * 2f);
        m0 = y0;
        m1 = even + odd;
        m2 = even - odd;
        m3 = even2 + odd2;
        m4 = even2 - odd2;
        m5 = y3;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void KernelTransform(Vector512<float>* g, float* u, long uStride)
    {
        // Rows: t[i] = G·g[i][·] (6 from 3), 18 vectors; then G down each of the 6 columns of t.
        Vector512<float>* t = stackalloc Vector512<float>[3 * Alpha];
        for (int i = 0; i < 3; i++)
        {
            var r = g + i * 3;
            G(r[0], r[1], r[2], out t[i * Alpha], out t[i * Alpha + 1], out t[i * Alpha + 2],
                out t[i * Alpha + 3], out t[i * Alpha + 4], out t[i * Alpha + 5]);
        }
        long s = Alpha * uStride;
        for (int l = 0; l < Alpha; l++)
        {
            G(t[l], t[Alpha + l], t[2 * Alpha + l], out var u0, out var u1, out var u2, out var u3, out var u4, out var u5);
            float* o = u + l * uStride;
            u0.Store(o); u1.Store(o + s); u2.Store(o + 2 * s); u3.Store(o + 3 * s); u4.Store(o + 4 * s); u5.Store(o + 5 * s);
        }
    }

    // (w0..w5) = G·(v0, v1, v2).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void G(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2,
        out Vector512<float> w0, out Vector512<float> w1, out Vector512<float> w2, out Vector512<float> w3, out Vector512<float> w4, out Vector512<float> w5)
    {
        const float Sixth = 1f / 6;
        var even = v0 + v2;
        var even2 = Vector512.FusedMultiplyAdd(v0, Vector512.Create(1f / 24), v2 * Sixth);
        var odd2 = v1 * (1f / 12);
        w0 = v0 * 0.25f;
        w1 = (even + v1) * -Sixth;
        w2 = (even - v1) * -Sixth;
        w3 = even2 + odd2;
        w4 = even2 - odd2;
        w5 = v2;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void KernelGradientTransform(float* du, long duStride, Vector512<float>* dg)
    {
        // Columns: c[i][l] = (Gᵀ dU)[i][l] (3 from 6); then the rows of c.
        Vector512<float>* c = stackalloc Vector512<float>[Alpha * 3];
        long s = Alpha * duStride;
        for (int l = 0; l < Alpha; l++)
        {
            float* col = du + l * duStride;
            Gt(Vector512.Load(col), Vector512.Load(col + s), Vector512.Load(col + 2 * s), Vector512.Load(col + 3 * s),
                Vector512.Load(col + 4 * s), Vector512.Load(col + 5 * s), out c[l], out c[Alpha + l], out c[2 * Alpha + l]);
        }
        for (int i = 0; i < 3; i++)
        {
            var r = c + i * Alpha;
            Gt(r[0], r[1], r[2], r[3], r[4], r[5], out dg[i * 3], out dg[i * 3 + 1], out dg[i * 3 + 2]);
        }
    }

    // (w0, w1, w2) = Gᵀ·(v0..v5), the adjoint of G.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gt(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, Vector512<float> v4, Vector512<float> v5,
        out Vector512<float> w0, out Vector512<float> w1, out Vector512<float> w2)
    {
        const float Sixth = 1f / 6;
        var p = v1 + v2;
        var q = v2 - v1;
        var s = v3 + v4;
        var d = v3 - v4;
        w0 = Vector512.FusedMultiplyAdd(v0, Vector512.Create(0.25f), Vector512.FusedMultiplyAdd(p, Vector512.Create(-Sixth), s * (1f / 24)));
        w1 = Vector512.FusedMultiplyAdd(q, Vector512.Create(Sixth), d * (1f / 12));
        w2 = Vector512.FusedMultiplyAdd(s - p, Vector512.Create(Sixth), v5);
    }
}
