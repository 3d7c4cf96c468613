using System.Runtime.CompilerServices;
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
/// Every pass streams each plane once with vectors of the machine's width (written once over it,
/// <see cref="ISimdWidth{V}"/>; a scalar tail for the rest), two accumulators per sum so that the adds do not wait
/// on each other; each plane's vector sums are added in double.
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
    internal static unsafe double Sum(ReadOnlySpan<float> x)
    {
        fixed (float* px = x)
            return GemmMicroKernel.Selected switch
            {
                GemmMicroKernel.Kind.Vector512 => Sum<Simd512, Vector512<float>>(px, x.Length),
                GemmMicroKernel.Kind.Vector256 => Sum<Simd256, Vector256<float>>(px, x.Length),
                GemmMicroKernel.Kind.Vector128 => Sum<Simd128, Vector128<float>>(px, x.Length),
                _ => SumTail(px, 0, x.Length, 0),
            };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe double Sum<S, V>(float* x, int len) where S : struct, ISimdWidth<V> where V : struct
    {
        int l = S.Lanes, j = 0;
        double total = 0;
        if (len >= l)
        {
            V a0 = S.Zero, a1 = S.Zero;
            for (; j + 2 * l <= len; j += 2 * l) { a0 = S.Add(a0, S.Load(x + j)); a1 = S.Add(a1, S.Load(x + j + l)); }
            for (; j + l <= len; j += l) a0 = S.Add(a0, S.Load(x + j));
            total = S.Sum(S.Add(a0, a1));
        }
        return SumTail(x, j, len, total);
    }

    private static unsafe double SumTail(float* x, int j, int len, double total)
    {
        for (; j < len; j++) total += x[j];
        return total;
    }

    /// <summary>(Σ (x − K), Σ (x − K)²) for a shift K.</summary>
    internal static unsafe (double Sum, double Squares) ShiftedSums(ReadOnlySpan<float> x, float shift)
    {
        fixed (float* px = x)
            return GemmMicroKernel.Selected switch
            {
                GemmMicroKernel.Kind.Vector512 => ShiftedSums<Simd512, Vector512<float>>(px, x.Length, shift),
                GemmMicroKernel.Kind.Vector256 => ShiftedSums<Simd256, Vector256<float>>(px, x.Length, shift),
                GemmMicroKernel.Kind.Vector128 => ShiftedSums<Simd128, Vector128<float>>(px, x.Length, shift),
                _ => ShiftedSumsTail(px, 0, x.Length, shift, 0, 0),
            };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe (double Sum, double Squares) ShiftedSums<S, V>(float* x, int len, float shift) where S : struct, ISimdWidth<V> where V : struct
    {
        int l = S.Lanes, j = 0;
        double sum = 0, sq = 0;
        if (len >= l)
        {
            var k = S.Broadcast(shift);
            V s0 = S.Zero, s1 = S.Zero, q0 = S.Zero, q1 = S.Zero;
            for (; j + 2 * l <= len; j += 2 * l)
            {
                var d0 = S.Sub(S.Load(x + j), k);
                var d1 = S.Sub(S.Load(x + j + l), k);
                s0 = S.Add(s0, d0); s1 = S.Add(s1, d1);
                q0 = S.Fma(d0, d0, q0); q1 = S.Fma(d1, d1, q1);
            }
            for (; j + l <= len; j += l) { var d = S.Sub(S.Load(x + j), k); s0 = S.Add(s0, d); q0 = S.Fma(d, d, q0); }
            sum = S.Sum(S.Add(s0, s1)); sq = S.Sum(S.Add(q0, q1));
        }
        return ShiftedSumsTail(x, j, len, shift, sum, sq);
    }

    private static unsafe (double Sum, double Squares) ShiftedSumsTail(float* x, int j, int len, float shift, double sum, double sq)
    {
        for (; j < len; j++) { double d = x[j] - shift; sum += d; sq += d * d; }
        return (sum, sq);
    }

    /// <summary>y = x·a + b.</summary>
    internal static unsafe void MultiplyAdd(ReadOnlySpan<float> x, float a, float b, Span<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException($"Destination has {y.Length} elements, need {x.Length}.");
        fixed (float* px = x)
        fixed (float* py = y)
        {
            int j = GemmMicroKernel.Selected switch
            {
                GemmMicroKernel.Kind.Vector512 => MultiplyAdd<Simd512, Vector512<float>>(px, x.Length, a, b, py),
                GemmMicroKernel.Kind.Vector256 => MultiplyAdd<Simd256, Vector256<float>>(px, x.Length, a, b, py),
                GemmMicroKernel.Kind.Vector128 => MultiplyAdd<Simd128, Vector128<float>>(px, x.Length, a, b, py),
                _ => 0,
            };
            for (; j < x.Length; j++) py[j] = MathF.FusedMultiplyAdd(px[j], a, b);
        }
    }

    /// <summary>The whole vectors of <see cref="MultiplyAdd(ReadOnlySpan{float}, float, float, Span{float})"/>; returns where the tail starts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int MultiplyAdd<S, V>(float* x, int len, float a, float b, float* y) where S : struct, ISimdWidth<V> where V : struct
    {
        int l = S.Lanes, j = 0;
        V va = S.Broadcast(a), vb = S.Broadcast(b);
        for (; j + l <= len; j += l) S.Store(y + j, S.Fma(S.Load(x + j), va, vb));
        return j;
    }

    /// <summary>(Σ dy, Σ dy·(x − mean)).</summary>
    internal static unsafe (double SumDy, double SumDyX) GradientSums(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, float mean)
    {
        if (x.Length != dy.Length) throw new ArgumentException($"Span lengths differ: {x.Length} and {dy.Length}.");
        fixed (float* px = x)
        fixed (float* pd = dy)
            return GemmMicroKernel.Selected switch
            {
                GemmMicroKernel.Kind.Vector512 => GradientSums<Simd512, Vector512<float>>(px, pd, x.Length, mean),
                GemmMicroKernel.Kind.Vector256 => GradientSums<Simd256, Vector256<float>>(px, pd, x.Length, mean),
                GemmMicroKernel.Kind.Vector128 => GradientSums<Simd128, Vector128<float>>(px, pd, x.Length, mean),
                _ => GradientSumsTail(px, pd, 0, x.Length, mean, 0, 0),
            };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe (double SumDy, double SumDyX) GradientSums<S, V>(float* x, float* dy, int len, float mean) where S : struct, ISimdWidth<V> where V : struct
    {
        int l = S.Lanes, j = 0;
        double sa = 0, sb = 0;
        if (len >= l)
        {
            var m = S.Broadcast(mean);
            V a0 = S.Zero, a1 = S.Zero, b0 = S.Zero, b1 = S.Zero;
            for (; j + 2 * l <= len; j += 2 * l)
            {
                var d0 = S.Load(dy + j);
                var d1 = S.Load(dy + j + l);
                a0 = S.Add(a0, d0); a1 = S.Add(a1, d1);
                b0 = S.Fma(d0, S.Sub(S.Load(x + j), m), b0);
                b1 = S.Fma(d1, S.Sub(S.Load(x + j + l), m), b1);
            }
            for (; j + l <= len; j += l)
            {
                var d = S.Load(dy + j);
                a0 = S.Add(a0, d); b0 = S.Fma(d, S.Sub(S.Load(x + j), m), b0);
            }
            sa = S.Sum(S.Add(a0, a1)); sb = S.Sum(S.Add(b0, b1));
        }
        return GradientSumsTail(x, dy, j, len, mean, sa, sb);
    }

    private static unsafe (double SumDy, double SumDyX) GradientSumsTail(float* x, float* dy, int j, int len, float mean, double sa, double sb)
    {
        for (; j < len; j++) { sa += dy[j]; sb += dy[j] * ((double)x[j] - mean); }
        return (sa, sb);
    }

    /// <summary>dx = dy·k + (x − mean)·p + q.</summary>
    internal static unsafe void Combine(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float mean, float k, float p, float q, Span<float> dx)
    {
        if (x.Length != dy.Length || dx.Length < dy.Length) throw new ArgumentException($"Span lengths differ: dy {dy.Length}, x {x.Length}, dx {dx.Length}.");
        // (x − mean)·p + q = x·p + (q − mean·p): one FMA fewer per value.
        float c = q - mean * p;
        fixed (float* pd = dy)
        fixed (float* px = x)
        fixed (float* po = dx)
        {
            int j = GemmMicroKernel.Selected switch
            {
                GemmMicroKernel.Kind.Vector512 => Combine<Simd512, Vector512<float>>(pd, px, dy.Length, k, p, c, po),
                GemmMicroKernel.Kind.Vector256 => Combine<Simd256, Vector256<float>>(pd, px, dy.Length, k, p, c, po),
                GemmMicroKernel.Kind.Vector128 => Combine<Simd128, Vector128<float>>(pd, px, dy.Length, k, p, c, po),
                _ => 0,
            };
            for (; j < dy.Length; j++) po[j] = pd[j] * k + (px[j] * p + c);
        }
    }

    /// <summary>The whole vectors of <see cref="Combine(ReadOnlySpan{float}, ReadOnlySpan{float}, float, float, float, float, Span{float})"/>; returns where the tail starts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int Combine<S, V>(float* dy, float* x, int len, float k, float p, float c, float* dx) where S : struct, ISimdWidth<V> where V : struct
    {
        int l = S.Lanes, j = 0;
        V vk = S.Broadcast(k), vp = S.Broadcast(p), vc = S.Broadcast(c);
        for (; j + l <= len; j += l) S.Store(dx + j, S.Fma(S.Load(dy + j), vk, S.Fma(S.Load(x + j), vp, vc)));
        return j;
    }
}
