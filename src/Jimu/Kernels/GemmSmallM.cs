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
internal sealed unsafe class GemmSmallM : IParallelWork
{
    public const int MaxRows = 4;

    [ThreadStatic] private static GemmSmallM? _instance;
    private GemmProblem _p;
    private int _chunks;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(in GemmProblem p)
    {
        var job = _instance ??= new GemmSmallM();
        job._p = p;
        int threads = Parallelism.Threads;
        long work = (long)p.M * p.N * p.K;
        // Enough columns per chunk to be worth a thread; whole vectors of columns in the row-update form.
        job._chunks = threads > 1 && work >= (1 << 18) && !KernelThreads.IsWorkerThread ? Math.Min(2 * threads, Math.Max(1, p.N / 64)) : 1;
        if (job._chunks <= 1 || !KernelThreads.TryRun(job, job._chunks, Math.Min(threads, job._chunks)))
            for (int c = 0; c < job._chunks; c++) job.Execute(c);
    }

    public void Execute(int chunk)
    {
        int n = _p.N;
        // Column ranges aligned to 16 so that row updates run on whole vectors.
        int j0 = (int)((long)n * chunk / _chunks) & ~15, j1 = chunk == _chunks - 1 ? n : (int)((long)n * (chunk + 1) / _chunks) & ~15;
        if (j1 <= j0) return;
        if (_p.TransB) Dots(j0, j1);
        else RowUpdates(j0, j1);
    }

    private float A(int i, int p) => _p.TransA ? _p.A[(long)p * _p.Lda + i] : _p.A[(long)i * _p.Lda + p];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Dots(int j0, int j1)
    {
        var p = _p;
        for (int i = 0; i < p.M; i++)
        {
            if (!p.TransA)
            {
                Dots(p.A + (long)i * p.Lda, i, j0, j1);
                continue;
            }
            // Row i of Aᵀ, gathered into a contiguous vector.
            var row = RowBuffer(p.K);
            for (int q = 0; q < p.K; q++) row[q] = p.A[(long)q * p.Lda + i];
            fixed (float* r = row) Dots(r, i, j0, j1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Dots(float* ai, int i, int j0, int j1)
    {
        var p = _p;
        for (int j = j0; j < j1; j++)
        {
            float d = Dot(ai, p.B + (long)j * p.Ldb, p.K);
            float* c = p.C + (long)i * p.Ldc + j;
            *c = p.Accumulate ? *c + d : d;
        }
    }

    [ThreadStatic] private static float[]? _row;
    private static float[] RowBuffer(int k) => _row is { } r && r.Length >= k ? r : _row = new float[k];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot(float* x, float* y, int k)
    {
        int q = 0;
        float s = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; q <= k - 64; q += 64)
            {
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + q), Vector512.Load(y + q), s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.Load(x + q + 16), Vector512.Load(y + q + 16), s1);
                s2 = Vector512.FusedMultiplyAdd(Vector512.Load(x + q + 32), Vector512.Load(y + q + 32), s2);
                s3 = Vector512.FusedMultiplyAdd(Vector512.Load(x + q + 48), Vector512.Load(y + q + 48), s3);
            }
            for (; q <= k - 16; q += 16) s0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + q), Vector512.Load(y + q), s0);
            s = Vector512.Sum((s0 + s1) + (s2 + s3));
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> s0 = default, s1 = default;
            for (; q <= k - 16; q += 16)
            {
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + q), Vector256.Load(y + q), s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Load(x + q + 8), Vector256.Load(y + q + 8), s1);
            }
            s = Vector256.Sum(s0 + s1);
        }
        else if (GemmMicroKernel.Selected == GemmMicroKernel.Kind.Vector128)
        {
            Vector128<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; q <= k - 16; q += 16)
            {
                s0 = Simd128.Fma(Vector128.Load(x + q), Vector128.Load(y + q), s0);
                s1 = Simd128.Fma(Vector128.Load(x + q + 4), Vector128.Load(y + q + 4), s1);
                s2 = Simd128.Fma(Vector128.Load(x + q + 8), Vector128.Load(y + q + 8), s2);
                s3 = Simd128.Fma(Vector128.Load(x + q + 12), Vector128.Load(y + q + 12), s3);
            }
            s = Vector128.Sum((s0 + s1) + (s2 + s3));
        }
        for (; q < k; q++) s = MathF.FusedMultiplyAdd(x[q], y[q], s);
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RowUpdates(int j0, int j1)
    {
        var p = _p;
        int width = j1 - j0;
        for (int i = 0; i < p.M; i++)
        {
            var ci = new Span<float>(p.C + (long)i * p.Ldc + j0, width);
            if (!p.Accumulate) ci.Clear();
            for (int q = 0; q < p.K; q++)
            {
                float aiq = A(i, q);
                if (aiq != 0f) Elementwise.AddScaled(ci, new ReadOnlySpan<float>(p.B + (long)q * p.Ldb + j0, width), aiq);
            }
        }
    }
}
