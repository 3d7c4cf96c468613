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
/// The data transforms work on as many channels at once as a vector has lanes (<see cref="ISimdWidth{V}"/>: 16, 8 or
/// 4), reading their input from and writing their output to its final place (512-bit stores are the bottleneck); the
/// kernel transform takes as many kernels at once. The gradient transforms, used by the weight gradient, are AVX-512's.
/// </summary>
[SkipLocalsInit]
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

    /// <summary>
    /// Floats added to the stride between the 36 planes of transformed data (one cache line): with a power-of-two
    /// stride all 36 would fall in one L1 set.
    /// </summary>
    public const int PlaneSkew = 16;

    /// <summary>
    /// V = Bᵀ d B for the lanes of one vector: d[i][j] = src[i·rowStride + j·colStride] (vectors), V[ξ] → dst[ξ·dstStride].
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

    /// <summary>y = Aᵀ M A for the lanes of one vector: the 2×2 output tile from M[ξ] = src[ξ·srcStride].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OutputTransform<S, V>(float* src, long srcStride, out V y00, out V y01, out V y10, out V y11)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        // Rows first, t_j[k] = (M A)[k][j], kept in registers; then Aᵀ down the two columns.
        At<S, V>(src, srcStride, out var a0, out var b0);
        At<S, V>(src + 6 * srcStride, srcStride, out var a1, out var b1);
        At<S, V>(src + 12 * srcStride, srcStride, out var a2, out var b2);
        At<S, V>(src + 18 * srcStride, srcStride, out var a3, out var b3);
        At<S, V>(src + 24 * srcStride, srcStride, out var a4, out var b4);
        At<S, V>(src + 30 * srcStride, srcStride, out var a5, out var b5);
        var two = S.Broadcast(2f);
        y00 = S.Add(S.Add(S.Add(S.Add(a0, a1), a2), a3), a4);
        y10 = S.Add(S.Fma(S.Sub(a3, a4), two, S.Sub(a1, a2)), a5);
        y01 = S.Add(S.Add(S.Add(S.Add(b0, b1), b2), b3), b4);
        y11 = S.Add(S.Fma(S.Sub(b3, b4), two, S.Sub(b1, b2)), b5);
    }

    // (y0, y1) = Aᵀ·(six vectors at the given stride).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void At<S, V>(float* m, long stride, out V y0, out V y1) where S : struct, ISimdWidth<V> where V : unmanaged
    {
        var m0 = S.Load(m); var m1 = S.Load(m + stride); var m2 = S.Load(m + 2 * stride);
        var m3 = S.Load(m + 3 * stride); var m4 = S.Load(m + 4 * stride); var m5 = S.Load(m + 5 * stride);
        y0 = S.Add(S.Add(S.Add(S.Add(m0, m1), m2), m3), m4);
        y1 = S.Add(S.Fma(S.Sub(m3, m4), S.Broadcast(2f), S.Sub(m1, m2)), m5);
    }

    /// <summary>
    /// dM = A dY Aᵀ for 16 lanes, the gradient of <see cref="OutputTransform"/>: 36 vectors from a 2×2 tile, entry ξ
    /// split in halves, lanes 0–7 to lo[ξ·stride] and lanes 8–15 to hi[ξ·stride].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OutputGradientTransform(Vector512<float> y00, Vector512<float> y01, Vector512<float> y10, Vector512<float> y11,
        float* lo, float* hi, long stride)
    {
        // Rows: r_i = A·(y_i0, y_i1), twelve vectors in registers; then each column l of A·(r_0[l], r_1[l]).
        A(y00, y01, out var r00, out var r01, out var r02, out var r03, out var r04, out var r05);
        A(y10, y11, out var r10, out var r11, out var r12, out var r13, out var r14, out var r15);
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
        Halves(m0, lo, hi); Halves(m1, lo + s, hi + s); Halves(m2, lo + 2 * s, hi + 2 * s);
        Halves(m3, lo + 3 * s, hi + 3 * s); Halves(m4, lo + 4 * s, hi + 4 * s); Halves(m5, lo + 5 * s, hi + 5 * s);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Halves(Vector512<float> v, float* lo, float* hi)
    {
        v.GetLower().Store(lo);
        v.GetUpper().Store(hi);
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

    /// <summary>
    /// U = G g Gᵀ for as many kernels as a vector has lanes: g[5·i + j] holds entry (i, j) of each lane's kernel;
    /// U[ξ] → u[ξ·uStride].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void KernelTransform<S, V>(V* g, float* u, long uStride) where S : struct, ISimdWidth<V> where V : unmanaged
    {
        // Rows: t[i] = G·g[i][·] (6 from 5), 30 vectors; then G down each of the 6 columns of t.
        V* t = stackalloc V[Kernel * Alpha];
        for (int i = 0; i < Kernel; i++)
        {
            var r = g + i * Kernel;
            G<S, V>(r[0], r[1], r[2], r[3], r[4], out t[i * Alpha], out t[i * Alpha + 1], out t[i * Alpha + 2],
                out t[i * Alpha + 3], out t[i * Alpha + 4], out t[i * Alpha + 5]);
        }
        for (int l = 0; l < Alpha; l++)
        {
            G<S, V>(t[l], t[Alpha + l], t[2 * Alpha + l], t[3 * Alpha + l], t[4 * Alpha + l],
                out var u0, out var u1, out var u2, out var u3, out var u4, out var u5);
            float* o = u + l * uStride;
            long s = Alpha * uStride;
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

    /// <summary>
    /// dg = Gᵀ dU G, the gradient of <see cref="KernelTransform"/>, for 16 kernels: dU[ξ] from du[ξ·duStride];
    /// dg[5·i + j] receives entry (i, j) of each lane's kernel gradient.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void KernelGradientTransform(float* du, long duStride, Vector512<float>* dg)
    {
        // Columns: c[l] = Gᵀ·dU[·][l] (5 from 6); then the rows of c.
        Vector512<float>* c = stackalloc Vector512<float>[Alpha * Kernel];
        long s = Alpha * duStride;
        for (int l = 0; l < Alpha; l++)
        {
            float* col = du + l * duStride;
            Gt(Vector512.Load(col), Vector512.Load(col + s), Vector512.Load(col + 2 * s), Vector512.Load(col + 3 * s),
                Vector512.Load(col + 4 * s), Vector512.Load(col + 5 * s),
                out c[l], out c[Alpha + l], out c[2 * Alpha + l], out c[3 * Alpha + l], out c[4 * Alpha + l]);
        }
        for (int i = 0; i < Kernel; i++)
        {
            var r = c + i * Alpha;
            Gt(r[0], r[1], r[2], r[3], r[4], r[5], out dg[i * Kernel], out dg[i * Kernel + 1], out dg[i * Kernel + 2],
                out dg[i * Kernel + 3], out dg[i * Kernel + 4]);
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
