using System.Diagnostics;

namespace Jimu.Cli;

/// <summary>Median, min and max of repeated timings after warm-up.</summary>
public readonly record struct Timing(double Median, double Min, double Max)
{
    /// <summary>Runs <paramref name="action"/> <paramref name="warmup"/> times untimed, then <paramref name="repeats"/> times timed; milliseconds.</summary>
    public static Timing Measure(Action action, int repeats, int warmup = 1)
    {
        for (int i = 0; i < warmup; i++) action();
        var ms = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            action();
            ms[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        return FromSamples(ms);
    }

    public static Timing FromSamples(double[] samples)
    {
        if (samples.Length == 0) throw new ArgumentException("No samples.");
        var s = samples.Order().ToArray();
        double median = s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
        return new Timing(median, s[0], s[^1]);
    }
}
