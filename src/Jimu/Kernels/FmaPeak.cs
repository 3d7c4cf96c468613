using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// Measures the FP32 fused-multiply-add peak of one core: a loop of independent vector FMAs on registers only
/// (12 accumulators, enough to hide the FMA latency on two pipes), at the width the GEMM micro-kernel runs at (<see cref="GemmMicroKernel.Selected"/>).
/// The yardstick for GEMM efficiency.
/// </summary>
internal static class FmaPeak
{
    private const int Accumulators = 12;

    /// <summary>
    /// GFLOP/s (2 per multiply-add per lane) of the calling thread: the best of <paramref name="repeats"/> timed runs
    /// of about <paramref name="millisecondsPerRun"/> ms each.
    /// </summary>
    public static double MeasureGflopsPerCore(int repeats = 20, double millisecondsPerRun = 10)
    {
        Run(1000); // compile (and tier up) before timing
        Run(1000);
        long iterations = 100_000;
        double best = 0;
        for (int r = 0; r < repeats; r++)
        {
            while (true)
            {
                long start = Stopwatch.GetTimestamp();
                Run(iterations);
                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                if (seconds * 1000 < millisecondsPerRun / 2)
                {
                    iterations *= 2;
                    continue;
                }
                best = Math.Max(best, 2.0 * Accumulators * Lanes * iterations / seconds / 1e9);
                break;
            }
        }
        return best;
    }

    private static int Lanes => GemmMicroKernel.Selected switch
    {
        GemmMicroKernel.Kind.Vector512 => Simd512.Lanes, GemmMicroKernel.Kind.Vector256 => Simd256.Lanes,
        GemmMicroKernel.Kind.Vector128 => Simd128.Lanes, _ => 1,
    };

    // The width the GEMM micro-kernel runs at, so that its efficiency is measured against the right peak.
    private static float Run(long iterations) => GemmMicroKernel.Selected switch
    {
        GemmMicroKernel.Kind.Vector512 => Run<Simd512, Vector512<float>>(iterations),
        GemmMicroKernel.Kind.Vector256 => Run<Simd256, Vector256<float>>(iterations),
        GemmMicroKernel.Kind.Vector128 => Run<Simd128, Vector128<float>>(iterations),
        _ => RunScalar(iterations),
    };

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Run<S, V>(long iterations) where S : struct, ISimdWidth<V> where V : struct
    {
        var x = S.Broadcast(0.999999f);
        var y = S.Broadcast(1e-6f);
        var a0 = S.Broadcast(1f); var a1 = S.Add(a0, y); var a2 = S.Add(a1, y); var a3 = S.Add(a2, y);
        var a4 = S.Add(a3, y); var a5 = S.Add(a4, y); var a6 = S.Add(a5, y); var a7 = S.Add(a6, y);
        var a8 = S.Add(a7, y); var a9 = S.Add(a8, y); var a10 = S.Add(a9, y); var a11 = S.Add(a10, y);
        for (long i = 0; i < iterations; i++)
        {
            a0 = S.Fma(a0, x, y); a1 = S.Fma(a1, x, y); a2 = S.Fma(a2, x, y); a3 = S.Fma(a3, x, y);
            a4 = S.Fma(a4, x, y); a5 = S.Fma(a5, x, y); a6 = S.Fma(a6, x, y); a7 = S.Fma(a7, x, y);
            a8 = S.Fma(a8, x, y); a9 = S.Fma(a9, x, y); a10 = S.Fma(a10, x, y); a11 = S.Fma(a11, x, y);
        }
        return S.Sum(S.Add(S.Add(S.Add(a0, a1), S.Add(a2, a3)), S.Add(S.Add(S.Add(a4, a5), S.Add(a6, a7)), S.Add(S.Add(a8, a9), S.Add(a10, a11)))));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float RunScalar(long iterations)
    {
        float x = 0.999999f, y = 1e-6f;
        float a0 = 1, a1 = 1.1f, a2 = 1.2f, a3 = 1.3f, a4 = 1.4f, a5 = 1.5f, a6 = 1.6f, a7 = 1.7f, a8 = 1.8f, a9 = 1.9f, a10 = 2, a11 = 2.1f;
        for (long i = 0; i < iterations; i++)
        {
            a0 = MathF.FusedMultiplyAdd(a0, x, y); a1 = MathF.FusedMultiplyAdd(a1, x, y);
            a2 = MathF.FusedMultiplyAdd(a2, x, y); a3 = MathF.FusedMultiplyAdd(a3, x, y);
            a4 = MathF.FusedMultiplyAdd(a4, x, y); a5 = MathF.FusedMultiplyAdd(a5, x, y);
            a6 = MathF.FusedMultiplyAdd(a6, x, y); a7 = MathF.FusedMultiplyAdd(a7, x, y);
            a8 = MathF.FusedMultiplyAdd(a8, x, y); a9 = MathF.FusedMultiplyAdd(a9, x, y);
            a10 = MathF.FusedMultiplyAdd(a10, x, y); a11 = MathF.FusedMultiplyAdd(a11, x, y);
        }
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
    }
}
