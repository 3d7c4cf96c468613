using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Jimu.Kernels;

/// <summary>
/// How long a cache line takes to go from one thread to another and back: the cost of handing data between the
/// threads that share a job. About 80 ns where two cores share a cache, over 300 ns where they do not (a virtual
/// machine's vCPUs that the host has put on different dies); <c>jimu bench model</c> prints it beside the batch-1
/// latency, which depends on it (see <see cref="ParallelChoice"/>).
/// </summary>
internal static class CoreRoundTrip
{
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private sealed class Line
    {
        // Alone on its cache line (and the next, against the adjacent-line prefetcher).
        [FieldOffset(64)] public volatile int Value;
        [FieldOffset(68)] public volatile bool Stop;
    }

    /// <summary>
    /// Nanoseconds per round trip, the fastest of <paramref name="runs"/> runs of <paramref name="trips"/> round
    /// trips, or NaN on one core, or where no run finished within 20 ms (the other thread did not get a core).
    /// </summary>
    public static double MeasureNs(int trips = 20_000, int runs = 5)
    {
        if (Environment.ProcessorCount < 2) return double.NaN;
        double best = double.PositiveInfinity;
        long limit = Stopwatch.Frequency / 50;
        for (int run = 0; run < runs; run++)
        {
            var line = new Line();
            var partner = new Thread(() =>
            {
                // Answers 2i + 1 with 2i + 2 until told to stop.
                for (int i = 0; i <= trips; i++)
                {
                    while (line.Value != 2 * i + 1) if (line.Stop) return;
                    line.Value = 2 * i + 2;
                }
            }) { IsBackground = true, Name = "Jimu round trip" };
            partner.Start();
            // Trip 0 waits for the thread to start; trips 1 … trips are timed.
            long start = Stopwatch.GetTimestamp(), timed = 0;
            bool done = true;
            for (int i = 0; i <= trips && done; i++)
            {
                if (i == 1) timed = Stopwatch.GetTimestamp();
                line.Value = 2 * i + 1;
                while (line.Value != 2 * i + 2)
                    if (Stopwatch.GetTimestamp() - start > limit) { done = false; break; }
            }
            long end = Stopwatch.GetTimestamp();
            line.Stop = true;
            partner.Join();
            if (done) best = Math.Min(best, (end - timed) * 1e9 / Stopwatch.Frequency / trips);
        }
        return double.IsPositiveInfinity(best) ? double.NaN : best;
    }
}
