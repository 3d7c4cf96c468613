using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// C (+)= op(A)·op(B) for a handful of rows (m ≤ <see cref="MaxRows"/>, e.g. one image through a Linear layer).
/// Each element of B is used only m times, so packing B would cost more than the product: B is streamed once,
/// straight from where it lies, split by columns over the threads.
/// <code>
/// op(B) = Bᵀ (B stored n×k):  C[i, j] (+)= Σ_p A(i, p) · B[j, p]   (dot products of contiguous rows)
/// op(B) = B  (B stored k×n):  C[i, j0..j1] (+)= Σ_p A(i, p) · B[p, j0..j1]   (row updates)
/// </code>
/// </summary>
internal static unsafe class GemmSmallM
{
    public const int MaxRows = 4;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(ComputeContext ctx, in GemmProblem p)
    {
        int threads = ctx.Threads;
        long work = (long)p.M * p.N * p.K;
        // Enough columns per chunk to be worth a thread; whole vectors of columns in the row-update form.
        int chunks = threads > 1 && work >= (1 << 18) ? Math.Min(2 * threads, Math.Max(1, p.N / 64)) : 1;
        if (chunks == 1)
        {
            Columns(p, 0, p.N, ctx.Workspace);
            return;
        }
        var job = new Chunks(p, chunks);
        ctx.For(chunks, ref job);
    }

    /// <summary>Columns [j0, j1) of C.</summary>
    private static void Columns(in GemmProblem p, int j0, int j1, Workspace workspace)
    {
        if (p.TransB) Dots(p, j0, j1, workspace);
        else RowUpdates(p, j0, j1);
    }

    private readonly struct Chunks(GemmProblem p, int chunks) : IParallelJob
    {
        public void Run(int chunk, ComputeContext lane)
        {
            int n = p.N;
            // Column ranges aligned to 16 so that row updates run on whole vectors.
            int j0 = (int)((long)n * chunk / chunks) & ~15, j1 = chunk == chunks - 1 ? n : (int)((long)n * (chunk + 1) / chunks) & ~15;
            if (j1 > j0) Columns(p, j0, j1, lane.Workspace);
        }
    }

    private static float A(in GemmProblem p, int i, int q) => p.TransA ? p.A[(long)q * p.Lda + i] : p.A[(long)i * p.Lda + q];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dots(in GemmProblem p, int j0, int j1, Workspace workspace)
    {
        for (int i = 0; i < p.M; i++)
        {
            if (!p.TransA)
            {
                Dots(p, p.A + (long)i * p.Lda, i, j0, j1);
                continue;
            }
            // Row i of Aᵀ, gathered into a contiguous vector.
            float* row = workspace.Floats(Scratch.GemmRow, p.K);
            for (int q = 0; q < p.K; q++) row[q] = p.A[(long)q * p.Lda + i];
            Dots(p, row, i, j0, j1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dots(in GemmProblem p, float* ai, int i, int j0, int j1)
    {
        float* c = p.C + (long)i * p.Ldc;
        int j = j0;
        if (Vector512.IsHardwareAccelerated)
        {
            // Four rows of B at a time: four streams from memory in flight instead of one (B, the weights of a Linear
            // layer, is read once per call, so this product waits on memory), each dot summed exactly as Dot sums it.
            float* d = stackalloc float[4];
            for (; j + 4 <= j1; j += 4)
            {
                Dot4(ai, p.B + (long)j * p.Ldb, p.Ldb, p.K, d);
                for (int r = 0; r < 4; r++) c[j + r] = p.Accumulate ? c[j + r] + d[r] : d[r];
            }
        }
        for (; j < j1; j++)
        {
            float d = Dot(ai, p.B + (long)j * p.Ldb, p.K);
            c[j] = p.Accumulate ? c[j] + d : d;
        }
    }

    /// <summary>
    /// d[r] = Dot(x, y + r·ldy, k) for r &lt; 4, bit for bit: each row keeps <see cref="Dot"/>'s four accumulators and
    /// order of operations; the loads of x are shared.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4(float* x, float* y0, int ldy, int k, float* d)
    {
        float* y1 = y0 + ldy, y2 = y1 + ldy, y3 = y2 + ldy;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default;
        int q = 0;
        for (; q <= k - 64; q += 64)
        {
            var x0 = Vector512.Load(x + q);
            a0 = Vector512.FusedMultiplyAdd(x0, Vector512.Load(y0 + q), a0); b0 = Vector512.FusedMultiplyAdd(x0, Vector512.Load(y1 + q), b0);
            c0 = Vector512.FusedMultiplyAdd(x0, Vector512.Load(y2 + q), c0); d0 = Vector512.FusedMultiplyAdd(x0, Vector512.Load(y3 + q), d0);
            var x1 = Vector512.Load(x + q + 16);
            a1 = Vector512.FusedMultiplyAdd(x1, Vector512.Load(y0 + q + 16), a1); b1 = Vector512.FusedMultiplyAdd(x1, Vector512.Load(y1 + q + 16), b1);
            c1 = Vector512.FusedMultiplyAdd(x1, Vector512.Load(y2 + q + 16), c1); d1 = Vector512.FusedMultiplyAdd(x1, Vector512.Load(y3 + q + 16), d1);
            var x2 = Vector512.Load(x + q + 32);
            a2 = Vector512.FusedMultiplyAdd(x2, Vector512.Load(y0 + q + 32), a2); b2 = Vector512.FusedMultiplyAdd(x2, Vector512.Load(y1 + q + 32), b2);
            c2 = Vector512.FusedMultiplyAdd(x2, Vector512.Load(y2 + q + 32), c2); d2 = Vector512.FusedMultiplyAdd(x2, Vector512.Load(y3 + q + 32), d2);
            var x3 = Vector512.Load(x + q + 48);
            a3 = Vector512.FusedMultiplyAdd(x3, Vector512.Load(y0 + q + 48), a3); b3 = Vector512.FusedMultiplyAdd(x3, Vector512.Load(y1 + q + 48), b3);
            c3 = Vector512.FusedMultiplyAdd(x3, Vector512.Load(y2 + q + 48), c3); d3 = Vector512.FusedMultiplyAdd(x3, Vector512.Load(y3 + q + 48), d3);
        }
        for (; q <= k - 16; q += 16)
        {
            var x0 = Vector512.Load(x + q);
            a0 = Vector512.FusedMultiplyAdd(x0, Vector512.Load(y0 + q), a0); b0 = Vector512.FusedMultiplyAdd(x0, Vector512.Load(y1 + q), b0);
            c0 = Vector512.FusedMultiplyAdd(x0, Vector512.Load(y2 + q), c0); d0 = Vector512.FusedMultiplyAdd(x0, Vector512.Load(y3 + q), d0);
        }
        float sa = Vector512.Sum((a0 + a1) + (a2 + a3)), sb = Vector512.Sum((b0 + b1) + (b2 + b3));
        float sc = Vector512.Sum((c0 + c1) + (c2 + c3)), sd = Vector512.Sum((d0 + d1) + (d2 + d3));
        for (; q < k; q++)
        {
            sa = MathF.FusedMultiplyAdd(x[q], y0[q], sa); sb = MathF.FusedMultiplyAdd(x[q], y1[q], sb);
            sc = MathF.FusedMultiplyAdd(x[q], y2[q], sc); sd = MathF.FusedMultiplyAdd(x[q], y3[q], sd);
        }
        d[0] = sa; d[1] = sb; d[2] = sc; d[3] = sd;
    }

    private static float Dot(float* x, float* y, int k) => GemmMicroKernel.Selected switch
    {
        GemmMicroKernel.Kind.Vector512 => Dot<Simd512, Vector512<float>>(x, y, k),
        GemmMicroKernel.Kind.Vector256 => Dot<Simd256, Vector256<float>>(x, y, k),
        GemmMicroKernel.Kind.Vector128 => Dot<Simd128, Vector128<float>>(x, y, k),
        _ => DotTail(x, y, 0, k, 0),
    };

    /// <summary>Σ x[q]·y[q]: four vectors in flight, then one, then the last few floats one by one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot<S, V>(float* x, float* y, int k) where S : struct, ISimdWidth<V> where V : struct
    {
        int q = 0, lanes = S.Lanes;
        V s0 = S.Zero, s1 = S.Zero, s2 = S.Zero, s3 = S.Zero;
        for (; q <= k - 4 * lanes; q += 4 * lanes)
        {
            s0 = S.Fma(S.Load(x + q), S.Load(y + q), s0);
            s1 = S.Fma(S.Load(x + q + lanes), S.Load(y + q + lanes), s1);
            s2 = S.Fma(S.Load(x + q + 2 * lanes), S.Load(y + q + 2 * lanes), s2);
            s3 = S.Fma(S.Load(x + q + 3 * lanes), S.Load(y + q + 3 * lanes), s3);
        }
        for (; q <= k - lanes; q += lanes) s0 = S.Fma(S.Load(x + q), S.Load(y + q), s0);
        return DotTail(x, y, q, k, S.Sum(S.Add(S.Add(s0, s1), S.Add(s2, s3))));
    }

    private static float DotTail(float* x, float* y, int q, int k, float s)
    {
        for (; q < k; q++) s = MathF.FusedMultiplyAdd(x[q], y[q], s);
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowUpdates(in GemmProblem p, int j0, int j1)
    {
        int width = j1 - j0;
        for (int i = 0; i < p.M; i++)
        {
            var ci = new Span<float>(p.C + (long)i * p.Ldc + j0, width);
            if (!p.Accumulate) ci.Clear();
            for (int q = 0; q < p.K; q++)
            {
                float aiq = A(p, i, q);
                if (aiq != 0f) Elementwise.AddScaled(ci, new ReadOnlySpan<float>(p.B + (long)q * p.Ldb + j0, width), aiq);
            }
        }
    }
}
