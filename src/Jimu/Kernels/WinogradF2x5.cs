using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// Winograd's minimal filtering F(2×2, 5×5) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks",
/// 2016), with interpolation points 0, ±1, ±2 and ∞. A 2×2 output tile y of a 5×5 kernel g over a 6×6 input tile d:
/// <code>
/// y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A          36 multiplications instead of 4 · 25 = 100
///
///      ⎡4  0 −5  0  1  0⎤        ⎡ 1/4    0     0     0     0 ⎤
///      ⎢0 −4 −4  1  1  0⎥        ⎢−1/6  −1/6  −1/6  −1/6  −1/6⎥
/// Bᵀ = ⎢0  4 −4 −1  1  0⎥    G = ⎢−1/6   1/6  −1/6   1/6  −1/6⎥    Aᵀ = ⎡1  1  1  1  1  0⎤
///      ⎢0 −2 −1  2  1  0⎥        ⎢1/24  1/12   1/6   1/3   2/3⎥         ⎣0  1 −1  2 −2  1⎦
///      ⎢0  2 −1 −2  1  0⎥        ⎢1/24 −1/12   1/6  −1/3   2/3⎥
///      ⎣0  4  0 −5  0  1⎦        ⎣  0     0     0     0     1 ⎦
/// </code>
/// (derived as in Lavin's wincnn; y[i][j] = Σ_ab g[a][b]·d[i+a][j+b], a correlation like every framework's convolution).
/// Training also needs the adjoints: dM = A dY Aᵀ (gradient of the output transform) and dg = Gᵀ dU G.
/// The data transforms work on 16 tiles (or 16 channels) at once, one per Vector512 lane, on 6×6 blocks of vectors
/// stored row-major; the kernel transforms are scalar, in double, as they run once per weight.
/// </summary>
internal static unsafe class WinogradF2x5
{
    /// <summary>Side of a transformed tile (m + r − 1).</summary>
    public const int Alpha = 6;
    /// <summary>Entries of a transformed tile: the 36 independent products.</summary>
    public const int Points = Alpha * Alpha;
    /// <summary>Side of an output tile.</summary>
    public const int Out = 2;
    /// <summary>Side of the kernel.</summary>
    public const int Kernel = 5;

    /// <summary>V = Bᵀ d B, in place on a 6×6 block of vectors.</summary>
    public static void InputTransform(Vector512<float>* t)
    {
        for (int j = 0; j < Alpha; j++) BtColumn(t + j, Alpha);
        for (int i = 0; i < Alpha; i++) BtColumn(t + i * Alpha, 1);
    }

    // Six vectors at the given stride replaced by Bᵀ·(them).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BtColumn(Vector512<float>* d, int stride)
    {
        var d0 = d[0]; var d1 = d[stride]; var d2 = d[2 * stride];
        var d3 = d[3 * stride]; var d4 = d[4 * stride]; var d5 = d[5 * stride];
        var a = Vector512.FusedMultiplyAdd(d2, Vector512.Create(-4f), d4);   // d4 − 4 d2
        var b = Vector512.FusedMultiplyAdd(d1, Vector512.Create(-4f), d3);   // d3 − 4 d1
        var c = d4 - d2;
        var e = (d3 - d1) * 2f;
        d[0] = Vector512.FusedMultiplyAdd(d0, Vector512.Create(4f), Vector512.FusedMultiplyAdd(d2, Vector512.Create(-5f), d4));
        d[stride] = a + b;
        d[2 * stride] = a - b;
        d[3 * stride] = c + e;
        d[4 * stride] = c - e;
        d[5 * stride] = Vector512.FusedMultiplyAdd(d1, Vector512.Create(4f), Vector512.FusedMultiplyAdd(d3, Vector512.Create(-5f), d5));
    }

    /// <summary>y = Aᵀ M A: the 2×2 output tile from a 6×6 block of vectors.</summary>
    public static void OutputTransform(Vector512<float>* m,
        out Vector512<float> y00, out Vector512<float> y01, out Vector512<float> y10, out Vector512<float> y11)
    {
        // Rows first: t[k] = Aᵀ m[k][·] gives two values per row; then the columns of t.
        Vector512<float>* t0 = stackalloc Vector512<float>[Alpha];
        Vector512<float>* t1 = stackalloc Vector512<float>[Alpha];
        for (int k = 0; k < Alpha; k++) At(m + k * Alpha, 1, out t0[k], out t1[k]);
        At(t0, 1, out y00, out y10);
        At(t1, 1, out y01, out y11);
    }

    // (y0, y1) = Aᵀ·(six vectors at the given stride).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void At(Vector512<float>* m, int stride, out Vector512<float> y0, out Vector512<float> y1)
    {
        var m1 = m[stride]; var m2 = m[2 * stride]; var m3 = m[3 * stride]; var m4 = m[4 * stride];
        y0 = m[0] + m1 + m2 + m3 + m4;
        y1 = Vector512.FusedMultiplyAdd(m3 - m4, Vector512.Create(2f), m1 - m2) + m[5 * stride];
    }

    /// <summary>dM = A dY Aᵀ: the gradient of <see cref="OutputTransform"/>, a 6×6 block of vectors from a 2×2 tile.</summary>
    public static void OutputGradientTransform(Vector512<float> y00, Vector512<float> y01, Vector512<float> y10, Vector512<float> y11,
        Vector512<float>* dm)
    {
        Vector512<float>* r0 = stackalloc Vector512<float>[Alpha];
        Vector512<float>* r1 = stackalloc Vector512<float>[Alpha];
        A(y00, y01, r0, 1);
        A(y10, y11, r1, 1);
        for (int l = 0; l < Alpha; l++) A(r0[l], r1[l], dm + l, Alpha);
    }

    // Six vectors at the given stride = A·(y0, y1), the adjoint of At.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void A(Vector512<float> y0, Vector512<float> y1, Vector512<float>* m, int stride)
    {
        var twice = y1 * 2f;
        m[0] = y0;
        m[stride] = y0 + y1;
        m[2 * stride] = y0 - y1;
        m[3 * stride] = y0 + twice;
        m[4 * stride] = y0 - twice;
        m[5 * stride] = y1;
    }

    /// <summary>
    /// U = G g Gᵀ for one 5×5 kernel read from <paramref name="g"/> (rotated 180° when <paramref name="rotate"/>),
    /// written to <paramref name="u"/>[ξ·uStride] for ξ = 6·k + l.
    /// </summary>
    public static void KernelTransform(float* g, bool rotate, float* u, int uStride)
    {
        double* rows = stackalloc double[Kernel * Alpha];   // g Gᵀ: 5 × 6
        double* v = stackalloc double[Kernel];
        double* w = stackalloc double[Alpha];
        for (int i = 0; i < Kernel; i++)
        {
            for (int j = 0; j < Kernel; j++)
                v[j] = rotate ? g[(Kernel - 1 - i) * Kernel + Kernel - 1 - j] : g[i * Kernel + j];
            G(v, w);
            for (int l = 0; l < Alpha; l++) rows[i * Alpha + l] = w[l];
        }
        for (int l = 0; l < Alpha; l++)
        {
            for (int i = 0; i < Kernel; i++) v[i] = rows[i * Alpha + l];
            G(v, w);
            for (int k = 0; k < Alpha; k++) u[(k * Alpha + l) * uStride] = (float)w[k];
        }
    }

    // w = G·v (6 from 5).
    private static void G(double* v, double* w)
    {
        double even = v[0] + v[2] + v[4], odd = v[1] + v[3];
        double even2 = v[0] / 24 + v[2] / 6 + v[4] * (2.0 / 3), odd2 = v[1] / 12 + v[3] / 3;
        w[0] = v[0] / 4;
        w[1] = -(even + odd) / 6;
        w[2] = -(even - odd) / 6;
        w[3] = even2 + odd2;
        w[4] = even2 - odd2;
        w[5] = v[4];
    }

    /// <summary>
    /// dg = Gᵀ dU G: the gradient of <see cref="KernelTransform"/> (not rotated), from du[ξ·duStride] into the 5×5 kernel dg.
    /// </summary>
    public static void KernelGradientTransform(double* du, int duStride, float* dg)
    {
        double* cols = stackalloc double[Alpha * Kernel];   // Gᵀ dU: 5 × 6, stored by column l
        double* v = stackalloc double[Alpha];
        double* w = stackalloc double[Kernel];
        for (int l = 0; l < Alpha; l++)
        {
            for (int k = 0; k < Alpha; k++) v[k] = du[(k * Alpha + l) * duStride];
            Gt(v, w);
            for (int i = 0; i < Kernel; i++) cols[l * Kernel + i] = w[i];
        }
        for (int i = 0; i < Kernel; i++)
        {
            for (int l = 0; l < Alpha; l++) v[l] = cols[l * Kernel + i];
            Gt(v, w);
            for (int j = 0; j < Kernel; j++) dg[i * Kernel + j] = (float)w[j];
        }
    }

    // w = Gᵀ·v (5 from 6), the adjoint of G.
    private static void Gt(double* v, double* w)
    {
        double p = v[1] + v[2], q = v[2] - v[1], s = v[3] + v[4], d = v[3] - v[4];
        w[0] = v[0] / 4 - p / 6 + s / 24;
        w[1] = q / 6 + d / 12;
        w[2] = -p / 6 + s / 6;
        w[3] = q / 6 + d / 3;
        w[4] = -p / 6 + s * (2.0 / 3) + v[5];
    }
}
