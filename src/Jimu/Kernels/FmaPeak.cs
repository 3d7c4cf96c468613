using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// Measures this machine's single-precision FMA peak on one core: independent chains of fused multiply-adds on
/// the widest hardware vector, all in registers (no memory traffic), so that throughput, not latency, limits.
/// FLOPs = 2 × lanes × FMAs.
/// </summary>
public static class FmaPeak
{
    /// <summary>GFLOP/s of one core: the best of several short runs.</summary>
    public static double MeasureGflopsPerCore(int runs = 5, double secondsPerRun = 0.05)
    {
        Run(1000); // JIT and warm the core up.
        double best = 0;
        for (int r = 0; r < runs; r++)
        {
            long iterations = 0, start = Stopwatch.GetTimestamp();
            double elapsed;
            do
            {
                Run(20_000);
                iterations += 20_000;
                elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            } while (elapsed < secondsPerRun);
            best = Math.Max(best, iterations * FlopsPerIteration / elapsed / 1e9);
        }
        return best;
    }

    private static int Lanes => Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : 1;

    /// <summary>12 chains × one FMA each per iteration.</summary>
    private static double FlopsPerIteration => 12 * 2.0 * Lanes;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Run(int iterations)
    {
        if (Vector512.IsHardwareAccelerated) return Run512(iterations);
        if (Vector256.IsHardwareAccelerated) return Run256(iterations);
        return RunScalar(iterations);
    }

    private static float Run512(int iterations)
    {
        var m = Vector512.Create(0.999999f);
        var a = Vector512.Create(1e-7f);
        Vector512<float> c0 = Vector512.Create(0.1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0,
            c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, m, a); c1 = Vector512.FusedMultiplyAdd(c1, m, a);
            c2 = Vector512.FusedMultiplyAdd(c2, m, a); c3 = Vector512.FusedMultiplyAdd(c3, m, a);
            c4 = Vector512.FusedMultiplyAdd(c4, m, a); c5 = Vector512.FusedMultiplyAdd(c5, m, a);
            c6 = Vector512.FusedMultiplyAdd(c6, m, a); c7 = Vector512.FusedMultiplyAdd(c7, m, a);
            c8 = Vector512.FusedMultiplyAdd(c8, m, a); c9 = Vector512.FusedMultiplyAdd(c9, m, a);
            c10 = Vector512.FusedMultiplyAdd(c10, m, a); c11 = Vector512.FusedMultiplyAdd(c11, m, a);
        }
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    private static float Run256(int iterations)
    {
        var m = Vector256.Create(0.999999f);
        var a = Vector256.Create(1e-7f);
        Vector256<float> c0 = Vector256.Create(0.1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0,
            c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int i = 0; i < iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, m, a); c1 = Vector256.FusedMultiplyAdd(c1, m, a);
            c2 = Vector256.FusedMultiplyAdd(c2, m, a); c3 = Vector256.FusedMultiplyAdd(c3, m, a);
            c4 = Vector256.FusedMultiplyAdd(c4, m, a); c5 = Vector256.FusedMultiplyAdd(c5, m, a);
            c6 = Vector256.FusedMultiplyAdd(c6, m, a); c7 = Vector256.FusedMultiplyAdd(c7, m, a);
            c8 = Vector256.FusedMultiplyAdd(c8, m, a); c9 = Vector256.FusedMultiplyAdd(c9, m, a);
            c10 = Vector256.FusedMultiplyAdd(c10, m, a); c11 = Vector256.FusedMultiplyAdd(c11, m, a);
        }
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    private static float RunScalar(int iterations)
    {
        float c0 = 0.1f, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int i = 0; i < iterations; i++)
        {
            c0 = MathF.FusedMultiplyAdd(c0, 0.999999f, 1e-7f); c1 = MathF.FusedMultiplyAdd(c1, 0.999999f, 1e-7f);
            c2 = MathF.FusedMultiplyAdd(c2, 0.999999f, 1e-7f); c3 = MathF.FusedMultiplyAdd(c3, 0.999999f, 1e-7f);
            c4 = MathF.FusedMultiplyAdd(c4, 0.999999f, 1e-7f); c5 = MathF.FusedMultiplyAdd(c5, 0.999999f, 1e-7f);
            c6 = MathF.FusedMultiplyAdd(c6, 0.999999f, 1e-7f); c7 = MathF.FusedMultiplyAdd(c7, 0.999999f, 1e-7f);
            c8 = MathF.FusedMultiplyAdd(c8, 0.999999f, 1e-7f); c9 = MathF.FusedMultiplyAdd(c9, 0.999999f, 1e-7f);
            c10 = MathF.FusedMultiplyAdd(c10, 0.999999f, 1e-7f); c11 = MathF.FusedMultiplyAdd(c11, 0.999999f, 1e-7f);
        }
        return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
    }
}
