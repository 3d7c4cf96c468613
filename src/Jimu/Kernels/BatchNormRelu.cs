using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// Batch normalisation followed by a ReLU, each way in the passes of batch normalisation alone (the ReLU's own two
/// passes over the tensor are gone). Over x laid out [N, C, S], with z = x·scale[c] + shift[c] (one FMA):
/// <code>
/// Forward:        y = z &gt; 0 ? z : 0
/// Sums:           g = z &gt; 0 ? dy : 0 (dy with respect to y);  sumDy[c] = Σ g,  sumDyX[c] = Σ g·(x − mean[c])
/// InputGradient:  dx = g·k[c] + (x − mean[c])·p[c] + q[c]
/// </code>
/// The backward passes recompute z with the forward's FMA, so the mask is exactly the forward's (no mask is kept).
/// Channels are split across the threads as in <see cref="BatchNormKernel"/>: each channel is summed by one thread in
/// a fixed order, the same numbers for any thread count.
/// </summary>
internal static class BatchNormRelu
{
    private const int MinParallelValues = 1 << 15;

    private static int Parts(ComputeContext ctx, int n, int channels, int s) =>
        (long)n * channels * s < MinParallelValues ? 1 : BatchSplit.Parts(ctx.Threads, channels);

    /// <summary>y[n, c, s] = max(x·scale[c] + shift[c], 0).</summary>
    public static void Forward(ComputeContext ctx, float[] x, float[] y, int n, int channels, int s, float[] scale, float[] shift)
    {
        var job = new ForwardJob(x, y, n, channels, s, scale, shift, Parts(ctx, n, channels, s));
        ctx.For(job.Parts, ref job);
    }

    /// <summary>sumDy[c] = Σ g and sumDyX[c] = Σ g·(x − mean[c]), g the gradient that passes the ReLU.</summary>
    public static void Sums(ComputeContext ctx, float[] x, float[] dy, int n, int channels, int s, float[] scale, float[] shift,
        float[] mean, double[] sumDy, double[] sumDyX)
    {
        var job = new SumsJob(x, dy, n, channels, s, scale, shift, mean, sumDy, sumDyX, Parts(ctx, n, channels, s));
        ctx.For(job.Parts, ref job);
    }

    /// <summary>dx[n, c, s] = g·k[c] + (x − mean[c])·p[c] + q[c], g the gradient that passes the ReLU.</summary>
    public static void InputGradient(ComputeContext ctx, float[] x, float[] dy, float[] dx, int n, int channels, int s, float[] scale, float[] shift,
        float[] mean, float[] k, float[] p, float[] q)
    {
        var job = new InputGradientJob(x, dy, dx, n, channels, s, scale, shift, mean, k, p, q, Parts(ctx, n, channels, s));
        ctx.For(job.Parts, ref job);
    }

    private readonly struct ForwardJob(float[] x, float[] y, int n, int channels, int s, float[] scale, float[] shift, int parts) : IParallelJob
    {
        public readonly int Parts = parts;

        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(channels, part, Parts);
            for (int c = start; c < end; c++)
                for (int i = 0; i < n; i++)
                {
                    int at = (i * channels + c) * s;
                    AffineRelu(x.AsSpan(at, s), scale[c], shift[c], y.AsSpan(at, s));
                }
        }
    }

    private readonly struct SumsJob(float[] x, float[] dy, int n, int channels, int s, float[] scale, float[] shift, float[] mean,
        double[] sumDy, double[] sumDyX, int parts) : IParallelJob
    {
        public readonly int Parts = parts;

        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(channels, part, Parts);
            for (int c = start; c < end; c++)
            {
                double a = 0, b = 0;
                for (int i = 0; i < n; i++)
                {
                    int at = (i * channels + c) * s;
                    var (da, db) = MaskedGradientSums(x.AsSpan(at, s), dy.AsSpan(at, s), scale[c], shift[c], mean[c]);
                    a += da; b += db;
                }
                sumDy[c] = a; sumDyX[c] = b;
            }
        }
    }

    private readonly struct InputGradientJob(float[] x, float[] dy, float[] dx, int n, int channels, int s, float[] scale, float[] shift,
        float[] mean, float[] k, float[] p, float[] q, int parts) : IParallelJob
    {
        public readonly int Parts = parts;

        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(channels, part, Parts);
            for (int c = start; c < end; c++)
                for (int i = 0; i < n; i++)
                {
                    int at = (i * channels + c) * s;
                    MaskedCombine(dy.AsSpan(at, s), x.AsSpan(at, s), scale[c], shift[c], mean[c], k[c], p[c], q[c], dx.AsSpan(at, s));
                }
        }
    }

    /// <summary>y = max(x·a + b, 0), NaN → 0 (the mask z &gt; 0 of the backward passes, exactly).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AffineRelu(ReadOnlySpan<float> x, float a, float b, Span<float> y)
    {
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float ry = ref MemoryMarshal.GetReference(y);
        int j = 0, len = x.Length;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> va = Vector512.Create(a), vb = Vector512.Create(b);
            for (; j + 16 <= len; j += 16)
            {
                var z = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref rx, (nuint)j), va, vb);
                Vector512.ConditionalSelect(Vector512.GreaterThan(z, Vector512<float>.Zero), z, Vector512<float>.Zero).StoreUnsafe(ref ry, (nuint)j);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> va = Vector256.Create(a), vb = Vector256.Create(b);
            for (; j + 8 <= len; j += 8)
            {
                var z = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref rx, (nuint)j), va, vb);
                Vector256.ConditionalSelect(Vector256.GreaterThan(z, Vector256<float>.Zero), z, Vector256<float>.Zero).StoreUnsafe(ref ry, (nuint)j);
            }
        }
        else if (Simd128.IsSupported)
        {
            // Simd128.Fma, as BatchNormKernel.Affine uses at this width: on x86 without FMA (AVX2 off) it rounds twice,
            // and the fused layers must give the unfused ones' bits.
            Vector128<float> va = Vector128.Create(a), vb = Vector128.Create(b);
            for (; j + 4 <= len; j += 4)
            {
                var z = Simd128.Fma(Vector128.LoadUnsafe(ref rx, (nuint)j), va, vb);
                Vector128.ConditionalSelect(Vector128.GreaterThan(z, Vector128<float>.Zero), z, Vector128<float>.Zero).StoreUnsafe(ref ry, (nuint)j);
            }
        }
        for (; j < len; j++)
        {
            float z = MathF.FusedMultiplyAdd(x[j], a, b);
            y[j] = z > 0 ? z : 0;
        }
    }

    /// <summary>(Σ g, Σ g·(x − mean)) with g = dy where x·a + b &gt; 0, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static (double SumDy, double SumDyX) MaskedGradientSums(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, float a, float b, float mean)
    {
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float rd = ref MemoryMarshal.GetReference(dy);
        int j = 0, len = x.Length;
        double sa = 0, sb = 0;
        if (Vector512.IsHardwareAccelerated && len >= 16)
        {
            Vector512<float> va = Vector512.Create(a), vb = Vector512.Create(b), m = Vector512.Create(mean);
            Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default;
            for (; j + 32 <= len; j += 32)
            {
                var x0 = Vector512.LoadUnsafe(ref rx, (nuint)j);
                var x1 = Vector512.LoadUnsafe(ref rx, (nuint)(j + 16));
                var g0 = Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.FusedMultiplyAdd(x0, va, vb), Vector512<float>.Zero), Vector512.LoadUnsafe(ref rd, (nuint)j), Vector512<float>.Zero);
                var g1 = Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.FusedMultiplyAdd(x1, va, vb), Vector512<float>.Zero), Vector512.LoadUnsafe(ref rd, (nuint)(j + 16)), Vector512<float>.Zero);
                a0 += g0; a1 += g1;
                b0 = Vector512.FusedMultiplyAdd(g0, x0 - m, b0);
                b1 = Vector512.FusedMultiplyAdd(g1, x1 - m, b1);
            }
            for (; j + 16 <= len; j += 16)
            {
                var x0 = Vector512.LoadUnsafe(ref rx, (nuint)j);
                var g0 = Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.FusedMultiplyAdd(x0, va, vb), Vector512<float>.Zero), Vector512.LoadUnsafe(ref rd, (nuint)j), Vector512<float>.Zero);
                a0 += g0; b0 = Vector512.FusedMultiplyAdd(g0, x0 - m, b0);
            }
            sa = Vector512.Sum(a0 + a1); sb = Vector512.Sum(b0 + b1);
        }
        else if (Vector256.IsHardwareAccelerated && len >= 8)
        {
            Vector256<float> va = Vector256.Create(a), vb = Vector256.Create(b), m = Vector256.Create(mean);
            Vector256<float> a0 = default, b0 = default;
            for (; j + 8 <= len; j += 8)
            {
                var x0 = Vector256.LoadUnsafe(ref rx, (nuint)j);
                var g0 = Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256.FusedMultiplyAdd(x0, va, vb), Vector256<float>.Zero), Vector256.LoadUnsafe(ref rd, (nuint)j), Vector256<float>.Zero);
                a0 += g0; b0 += g0 * (x0 - m);
            }
            sa = Vector256.Sum(a0); sb = Vector256.Sum(b0);
        }
        else if (Simd128.IsSupported && !Vector256.IsHardwareAccelerated)
        {
            // The forward pass's mask at this width (Simd128.Fma), exactly.
            Vector128<float> va = Vector128.Create(a), vb = Vector128.Create(b), m = Vector128.Create(mean);
            Vector128<float> a0 = default, b0 = default;
            for (; j + 4 <= len; j += 4)
            {
                var x0 = Vector128.LoadUnsafe(ref rx, (nuint)j);
                var g0 = Vector128.ConditionalSelect(Vector128.GreaterThan(Simd128.Fma(x0, va, vb), Vector128<float>.Zero), Vector128.LoadUnsafe(ref rd, (nuint)j), Vector128<float>.Zero);
                a0 += g0; b0 += g0 * (x0 - m);
            }
            sa = Vector128.Sum(a0); sb = Vector128.Sum(b0);
        }
        for (; j < len; j++)
        {
            if (!(MathF.FusedMultiplyAdd(x[j], a, b) > 0)) continue;
            sa += dy[j]; sb += dy[j] * ((double)x[j] - mean);
        }
        return (sa, sb);
    }

    /// <summary>dx = g·k + x·p + (q − mean·p), g = dy where x·a + b &gt; 0, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MaskedCombine(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float a, float b, float mean, float k, float p, float q, Span<float> dx)
    {
        ref float rd = ref MemoryMarshal.GetReference(dy);
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float ro = ref MemoryMarshal.GetReference(dx);
        int j = 0, len = dy.Length;
        float c = q - mean * p;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> va = Vector512.Create(a), vb = Vector512.Create(b), vk = Vector512.Create(k), vp = Vector512.Create(p), vc = Vector512.Create(c);
            for (; j + 16 <= len; j += 16)
            {
                var x0 = Vector512.LoadUnsafe(ref rx, (nuint)j);
                var g = Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.FusedMultiplyAdd(x0, va, vb), Vector512<float>.Zero), Vector512.LoadUnsafe(ref rd, (nuint)j), Vector512<float>.Zero);
                Vector512.FusedMultiplyAdd(g, vk, Vector512.FusedMultiplyAdd(x0, vp, vc)).StoreUnsafe(ref ro, (nuint)j);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> va = Vector256.Create(a), vb = Vector256.Create(b), vk = Vector256.Create(k), vp = Vector256.Create(p), vc = Vector256.Create(c);
            for (; j + 8 <= len; j += 8)
            {
                var x0 = Vector256.LoadUnsafe(ref rx, (nuint)j);
                var g = Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256.FusedMultiplyAdd(x0, va, vb), Vector256<float>.Zero), Vector256.LoadUnsafe(ref rd, (nuint)j), Vector256<float>.Zero);
                (g * vk + (x0 * vp + vc)).StoreUnsafe(ref ro, (nuint)j);
            }
        }
        else if (Simd128.IsSupported)
        {
            // The forward pass's mask at this width (Simd128.Fma), exactly.
            Vector128<float> va = Vector128.Create(a), vb = Vector128.Create(b), vk = Vector128.Create(k), vp = Vector128.Create(p), vc = Vector128.Create(c);
            for (; j + 4 <= len; j += 4)
            {
                var x0 = Vector128.LoadUnsafe(ref rx, (nuint)j);
                var g = Vector128.ConditionalSelect(Vector128.GreaterThan(Simd128.Fma(x0, va, vb), Vector128<float>.Zero), Vector128.LoadUnsafe(ref rd, (nuint)j), Vector128<float>.Zero);
                (g * vk + (x0 * vp + vc)).StoreUnsafe(ref ro, (nuint)j);
            }
        }
        for (; j < len; j++)
        {
            float g = MathF.FusedMultiplyAdd(x[j], a, b) > 0 ? dy[j] : 0f;
            dx[j] = g * k + (x[j] * p + c);
        }
    }
}
