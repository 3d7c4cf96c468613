using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// Per-channel batch-normalisation arithmetic over x laid out [N, C, S] (S = H·W for images, 1 for features),
/// each channel c over its M = N·S values, the channels split across the threads (each channel is summed by one
/// thread in a fixed order: the same numbers for any thread count).
/// <code>
/// Statistics: K = mean of plane (0, c) (a shift near the mean, so that the one pass does not cancel),
///             mean[c] = K + Σ(x − K) / M,  var[c] = Σ(x − K)² / M − (Σ(x − K) / M)²   (biased, as PyTorch normalises)
/// Affine:     y = x·scale[c] + shift[c]                                  (scale = γ/√(var+ε), shift = β − mean·scale)
/// Backward:   sumDy[c] = Σ dy,  sumDyX[c] = Σ dy·(x − mean[c])
///             dx = dy·k + (x − mean)·p + q   with k, p, q per channel (the layer derives them from the sums)
/// </code>
/// Every pass streams each plane once with 512-bit vectors (256-bit where AVX-512 is missing; a scalar tail for
/// the rest), two accumulators per sum so that the adds do not wait on each other; each plane's vector sums are
/// added in double.
/// </summary>
internal static class BatchNormKernel
{
    // Below this many values the whole pass runs on the caller: a thread hand-off costs more.
    private const int MinParallelValues = 1 << 15;

    /// <summary>mean[c] and biased var[c] of x [N, C, S].</summary>
    public static void Statistics(ComputeContext ctx, float[] x, int n, int channels, int s, double[] mean, double[] variance)
    {
        var job = new StatisticsJob(x, n, channels, s, mean, variance, Parts(ctx, n, channels, s));
        ctx.For(job.Parts, ref job);
    }

    /// <summary>y[n, c, s] = x[n, c, s]·scale[c] + shift[c].</summary>
    public static void Affine(ComputeContext ctx, float[] x, float[] y, int n, int channels, int s, float[] scale, float[] shift)
    {
        var job = new AffineJob(x, y, n, channels, s, scale, shift, Parts(ctx, n, channels, s));
        ctx.For(job.Parts, ref job);
    }

    /// <summary>sumDy[c] = Σ dy and sumDyX[c] = Σ dy·(x − mean[c]) over channel c.</summary>
    public static void Sums(ComputeContext ctx, float[] x, float[] dy, int n, int channels, int s, float[] mean, double[] sumDy, double[] sumDyX)
    {
        var job = new SumsJob(x, dy, n, channels, s, mean, sumDy, sumDyX, Parts(ctx, n, channels, s));
        ctx.For(job.Parts, ref job);
    }

    /// <summary>dx[n, c, s] = dy·k[c] + (x − mean[c])·p[c] + q[c].</summary>
    public static void InputGradient(ComputeContext ctx, float[] x, float[] dy, float[] dx, int n, int channels, int s, float[] mean, float[] k, float[] p, float[] q)
    {
        var job = new InputGradientJob(x, dy, dx, n, channels, s, mean, k, p, q, Parts(ctx, n, channels, s));
        ctx.For(job.Parts, ref job);
    }

    private static int Parts(ComputeContext ctx, int n, int channels, int s) =>
        (long)n * channels * s < MinParallelValues ? 1 : BatchSplit.Parts(ctx.Threads, channels);

    private readonly struct StatisticsJob(float[] x, int n, int channels, int s, double[] mean, double[] variance, int parts) : IParallelJob
    {
        public readonly int Parts = parts;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(channels, part, Parts);
            double m = (double)n * s;
            for (int c = start; c < end; c++)
            {
                float shift = (float)(Sum(x.AsSpan(c * s, s)) / s);
                double sum = 0, sq = 0;
                for (int i = 0; i < n; i++)
                {
                    var (a, b) = ShiftedSums(x.AsSpan((i * channels + c) * s, s), shift);
                    sum += a; sq += b;
                }
                double d = sum / m;
                mean[c] = shift + d;
                variance[c] = Math.Max(sq / m - d * d, 0);
            }
        }
    }

    private readonly struct AffineJob(float[] x, float[] y, int n, int channels, int s, float[] scale, float[] shift, int parts) : IParallelJob
    {
        public readonly int Parts = parts;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(channels, part, Parts);
            for (int c = start; c < end; c++)
                for (int i = 0; i < n; i++)
                {
                    int at = (i * channels + c) * s;
                    MultiplyAdd(x.AsSpan(at, s), scale[c], shift[c], y.AsSpan(at, s));
                }
        }
    }

    private readonly struct SumsJob(float[] x, float[] dy, int n, int channels, int s, float[] mean, double[] sumDy, double[] sumDyX, int parts) : IParallelJob
    {
        public readonly int Parts = parts;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(channels, part, Parts);
            for (int c = start; c < end; c++)
            {
                double a = 0, b = 0;
                for (int i = 0; i < n; i++)
                {
                    int at = (i * channels + c) * s;
                    var (da, db) = GradientSums(x.AsSpan(at, s), dy.AsSpan(at, s), mean[c]);
                    a += da; b += db;
                }
                sumDy[c] = a; sumDyX[c] = b;
            }
        }
    }

    private readonly struct InputGradientJob(float[] x, float[] dy, float[] dx, int n, int channels, int s, float[] mean, float[] k, float[] p, float[] q, int parts) : IParallelJob
    {
        public readonly int Parts = parts;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(channels, part, Parts);
            for (int c = start; c < end; c++)
                for (int i = 0; i < n; i++)
                {
                    int at = (i * channels + c) * s;
                    Combine(dy.AsSpan(at, s), x.AsSpan(at, s), mean[c], k[c], p[c], q[c], dx.AsSpan(at, s));
                }
        }
    }

    /// <summary>Σ x.</summary>
    internal static double Sum(ReadOnlySpan<float> x)
    {
        ref float r = ref MemoryMarshal.GetReference(x);
        int j = 0, len = x.Length;
        double total = 0;
        if (Vector512.IsHardwareAccelerated && len >= 16)
        {
            Vector512<float> a0 = default, a1 = default;
            for (; j + 32 <= len; j += 32) { a0 += Vector512.LoadUnsafe(ref r, (nuint)j); a1 += Vector512.LoadUnsafe(ref r, (nuint)(j + 16)); }
            for (; j + 16 <= len; j += 16) a0 += Vector512.LoadUnsafe(ref r, (nuint)j);
            total = Vector512.Sum(a0 + a1);
        }
        else if (Vector256.IsHardwareAccelerated && len >= 8)
        {
            Vector256<float> a0 = default, a1 = default;
            for (; j + 16 <= len; j += 16) { a0 += Vector256.LoadUnsafe(ref r, (nuint)j); a1 += Vector256.LoadUnsafe(ref r, (nuint)(j + 8)); }
            for (; j + 8 <= len; j += 8) a0 += Vector256.LoadUnsafe(ref r, (nuint)j);
            total = Vector256.Sum(a0 + a1);
        }
        for (; j < len; j++) total += x[j];
        return total;
    }

    /// <summary>(Σ (x − K), Σ (x − K)²) for a shift K.</summary>
    internal static (double Sum, double Squares) ShiftedSums(ReadOnlySpan<float> x, float shift)
    {
        ref float r = ref MemoryMarshal.GetReference(x);
        int j = 0, len = x.Length;
        double sum = 0, sq = 0;
        if (Vector512.IsHardwareAccelerated && len >= 16)
        {
            var k = Vector512.Create(shift);
            Vector512<float> s0 = default, s1 = default, q0 = default, q1 = default;
            for (; j + 32 <= len; j += 32)
            {
                var d0 = Vector512.LoadUnsafe(ref r, (nuint)j) - k;
                var d1 = Vector512.LoadUnsafe(ref r, (nuint)(j + 16)) - k;
                s0 += d0; s1 += d1;
                q0 = Vector512.FusedMultiplyAdd(d0, d0, q0); q1 = Vector512.FusedMultiplyAdd(d1, d1, q1);
            }
            for (; j + 16 <= len; j += 16) { var d = Vector512.LoadUnsafe(ref r, (nuint)j) - k; s0 += d; q0 = Vector512.FusedMultiplyAdd(d, d, q0); }
            sum = Vector512.Sum(s0 + s1); sq = Vector512.Sum(q0 + q1);
        }
        else if (Vector256.IsHardwareAccelerated && len >= 8)
        {
            var k = Vector256.Create(shift);
            Vector256<float> s0 = default, s1 = default, q0 = default, q1 = default;
            for (; j + 16 <= len; j += 16)
            {
                var d0 = Vector256.LoadUnsafe(ref r, (nuint)j) - k;
                var d1 = Vector256.LoadUnsafe(ref r, (nuint)(j + 8)) - k;
                s0 += d0; s1 += d1;
                q0 += d0 * d0; q1 += d1 * d1;
            }
            for (; j + 8 <= len; j += 8) { var d = Vector256.LoadUnsafe(ref r, (nuint)j) - k; s0 += d; q0 += d * d; }
            sum = Vector256.Sum(s0 + s1); sq = Vector256.Sum(q0 + q1);
        }
        for (; j < len; j++) { double d = x[j] - shift; sum += d; sq += d * d; }
        return (sum, sq);
    }

    /// <summary>y = x·a + b.</summary>
    internal static void MultiplyAdd(ReadOnlySpan<float> x, float a, float b, Span<float> y)
    {
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float ry = ref MemoryMarshal.GetReference(y);
        int j = 0, len = x.Length;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> va = Vector512.Create(a), vb = Vector512.Create(b);
            for (; j + 16 <= len; j += 16) Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref rx, (nuint)j), va, vb).StoreUnsafe(ref ry, (nuint)j);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> va = Vector256.Create(a), vb = Vector256.Create(b);
            for (; j + 8 <= len; j += 8) (Vector256.LoadUnsafe(ref rx, (nuint)j) * va + vb).StoreUnsafe(ref ry, (nuint)j);
        }
        for (; j < len; j++) y[j] = MathF.FusedMultiplyAdd(x[j], a, b);
    }

    /// <summary>(Σ dy, Σ dy·(x − mean)).</summary>
    internal static (double SumDy, double SumDyX) GradientSums(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, float mean)
    {
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float rd = ref MemoryMarshal.GetReference(dy);
        int j = 0, len = x.Length;
        double sa = 0, sb = 0;
        if (Vector512.IsHardwareAccelerated && len >= 16)
        {
            var m = Vector512.Create(mean);
            Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default;
            for (; j + 32 <= len; j += 32)
            {
                var d0 = Vector512.LoadUnsafe(ref rd, (nuint)j);
                var d1 = Vector512.LoadUnsafe(ref rd, (nuint)(j + 16));
                a0 += d0; a1 += d1;
                b0 = Vector512.FusedMultiplyAdd(d0, Vector512.LoadUnsafe(ref rx, (nuint)j) - m, b0);
                b1 = Vector512.FusedMultiplyAdd(d1, Vector512.LoadUnsafe(ref rx, (nuint)(j + 16)) - m, b1);
            }
            for (; j + 16 <= len; j += 16)
            {
                var d = Vector512.LoadUnsafe(ref rd, (nuint)j);
                a0 += d; b0 = Vector512.FusedMultiplyAdd(d, Vector512.LoadUnsafe(ref rx, (nuint)j) - m, b0);
            }
            sa = Vector512.Sum(a0 + a1); sb = Vector512.Sum(b0 + b1);
        }
        else if (Vector256.IsHardwareAccelerated && len >= 8)
        {
            var m = Vector256.Create(mean);
            Vector256<float> a0 = default, a1 = default, b0 = default, b1 = default;
            for (; j + 16 <= len; j += 16)
            {
                var d0 = Vector256.LoadUnsafe(ref rd, (nuint)j);
                var d1 = Vector256.LoadUnsafe(ref rd, (nuint)(j + 8));
                a0 += d0; a1 += d1;
                b0 += d0 * (Vector256.LoadUnsafe(ref rx, (nuint)j) - m);
                b1 += d1 * (Vector256.LoadUnsafe(ref rx, (nuint)(j + 8)) - m);
            }
            for (; j + 8 <= len; j += 8)
            {
                var d = Vector256.LoadUnsafe(ref rd, (nuint)j);
                a0 += d; b0 += d * (Vector256.LoadUnsafe(ref rx, (nuint)j) - m);
            }
            sa = Vector256.Sum(a0 + a1); sb = Vector256.Sum(b0 + b1);
        }
        for (; j < len; j++) { sa += dy[j]; sb += dy[j] * ((double)x[j] - mean); }
        return (sa, sb);
    }

    /// <summary>dx = dy·k + (x − mean)·p + q.</summary>
    internal static void Combine(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float mean, float k, float p, float q, Span<float> dx)
    {
        ref float rd = ref MemoryMarshal.GetReference(dy);
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float ro = ref MemoryMarshal.GetReference(dx);
        int j = 0, len = dy.Length;
        // (x − mean)·p + q = x·p + (q − mean·p): one FMA fewer per value.
        float c = q - mean * p;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> vk = Vector512.Create(k), vp = Vector512.Create(p), vc = Vector512.Create(c);
            for (; j + 16 <= len; j += 16)
                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref rd, (nuint)j), vk,
                    Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref rx, (nuint)j), vp, vc)).StoreUnsafe(ref ro, (nuint)j);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> vk = Vector256.Create(k), vp = Vector256.Create(p), vc = Vector256.Create(c);
            for (; j + 8 <= len; j += 8)
                (Vector256.LoadUnsafe(ref rd, (nuint)j) * vk + (Vector256.LoadUnsafe(ref rx, (nuint)j) * vp + vc)).StoreUnsafe(ref ro, (nuint)j);
        }
        for (; j < len; j++) dx[j] = dy[j] * k + (x[j] * p + c);
    }
}
