using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// Measures the FP32 fused-multiply-add peak of one core: a loop of independent vector FMAs on registers only
/// (12 accumulators, enough to hide the FMA latency on two pipes), at the widest accelerated vector width.
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

    private static int Lanes => Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : 1;

    private static float Run(long iterations) =>
        Vector512.IsHardwareAccelerated ? Run512(iterations) :
        Vector256.IsHardwareAccelerated ? Run256(iterations) : RunScalar(iterations);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Run512(long iterations)
    {
        var x = Vector512.Create(0.999999f);
        var y = Vector512.Create(1e-6f);
        var a0 = Vector512.Create(1f); var a1 = a0 + y; var a2 = a1 + y; var a3 = a2 + y;
        var a4 = a3 + y; var a5 = a4 + y; var a6 = a5 + y; var a7 = a6 + y;
        var a8 = a7 + y; var a9 = a8 + y; var a10 = a9 + y; var a11 = a10 + y;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, x, y); a1 = Vector512.FusedMultiplyAdd(a1, x, y);
            a2 = Vector512.FusedMultiplyAdd(a2, x, y); a3 = Vector512.FusedMultiplyAdd(a3, x, y);
            a4 = Vector512.FusedMultiplyAdd(a4, x, y); a5 = Vector512.FusedMultiplyAdd(a5, x, y);
            a6 = Vector512.FusedMultiplyAdd(a6, x, y); a7 = Vector512.FusedMultiplyAdd(a7, x, y);
            a8 = Vector512.FusedMultiplyAdd(a8, x, y); a9 = Vector512.FusedMultiplyAdd(a9, x, y);
            a10 = Vector512.FusedMultiplyAdd(a10, x, y); a11 = Vector512.FusedMultiplyAdd(a11, x, y);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Run256(long iterations)
    {
        var x = Vector256.Create(0.999999f);
        var y = Vector256.Create(1e-6f);
        var a0 = Vector256.Create(1f); var a1 = a0 + y; var a2 = a1 + y; var a3 = a2 + y;
        var a4 = a3 + y; var a5 = a4 + y; var a6 = a5 + y; var a7 = a6 + y;
        var a8 = a7 + y; var a9 = a8 + y; var a10 = a9 + y; var a11 = a10 + y;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, x, y); a1 = Vector256.FusedMultiplyAdd(a1, x, y);
            a2 = Vector256.FusedMultiplyAdd(a2, x, y); a3 = Vector256.FusedMultiplyAdd(a3, x, y);
            a4 = Vector256.FusedMultiplyAdd(a4, x, y); a5 = Vector256.FusedMultiplyAdd(a5, x, y);
            a6 = Vector256.FusedMultiplyAdd(a6, x, y); a7 = Vector256.FusedMultiplyAdd(a7, x, y);
            a8 = Vector256.FusedMultiplyAdd(a8, x, y); a9 = Vector256.FusedMultiplyAdd(a9, x, y);
            a10 = Vector256.FusedMultiplyAdd(a10, x, y); a11 = Vector256.FusedMultiplyAdd(a11, x, y);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
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
