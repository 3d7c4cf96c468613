using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Jimu.Kernels;
using Spectre.Console;

namespace Jimu.Cli.Commands;

/// <summary>
/// `jimu bench gemm`: GFLOP/s of <see cref="Gemm.Multiply"/> on the seed network's shapes and on squares, on one
/// thread and on all cores, as a percentage of the measured FMA peak of the cores used; and of
/// <see cref="SparseGemm.Multiply"/> on the Linear backward shapes with the zeros a ReLU and a dropout leave in dy,
/// counted at the dense product's flops (so its GFLOP/s compare with the dense row's: the time it saves).
/// </summary>
public static class BenchGemmCommand
{
    /// <summary>A product to time: C[m×n] = op(A)·op(B) with inner size k; with <paramref name="Zeros"/> &gt; 0, that share of A is zeros and the sparse kernel runs.</summary>
    public sealed record Shape(string Name, int M, int N, int K, bool TransA, bool TransB, double Zeros = 0)
    {
        public override string ToString() => $"{Name} {M}x{N}x{K}";
    }

    public sealed record Result(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("m")] int M,
        [property: JsonPropertyName("n")] int N,
        [property: JsonPropertyName("k")] int K,
        [property: JsonPropertyName("trans_a")] bool TransA,
        [property: JsonPropertyName("trans_b")] bool TransB,
        [property: JsonPropertyName("a_zeros")] double Zeros,
        [property: JsonPropertyName("threads")] int Threads,
        [property: JsonPropertyName("gflops")] double Gflops,
        [property: JsonPropertyName("gflops_min")] double GflopsMin,
        [property: JsonPropertyName("gflops_max")] double GflopsMax,
        [property: JsonPropertyName("percent_of_peak")] double PercentOfPeak);

    public sealed record Report(
        [property: JsonPropertyName("peak_gflops_per_core")] double PeakGflopsPerCore,
        [property: JsonPropertyName("cases")] IReadOnlyList<Result> Cases);

    /// <summary>The GEMMs of the seed network (batch 64) and square references.</summary>
    public static readonly Shape[] Shapes =
    [
        new("conv2 fwd batch", 64, 12544, 800, false, false),
        new("conv2 fwd image", 64, 196, 800, false, false),
        new("conv1 fwd image", 32, 784, 25, false, false),
        new("conv2 dW", 64, 800, 196, false, true),
        new("conv2 dcol", 800, 196, 64, true, false),
        new("fc1 fwd", 64, 512, 3136, false, true),
        new("fc1 dW", 512, 3136, 64, true, false),
        new("fc1 dx", 64, 3136, 512, false, false),
        new("fc1 dW sparse", 512, 3136, 64, true, false, 0.75),
        new("fc1 dx sparse", 64, 3136, 512, false, false, 0.75),
        new("square", 512, 512, 512, false, false),
        new("square", 1024, 1024, 1024, false, false),
        new("square", 2048, 2048, 2048, false, false),
    ];

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object: peak_gflops_per_core and cases[]." };
        var repeats = new Option<int>("--repeats") { Description = "Timed repeats per case after warm-up; the median is reported.", DefaultValueFactory = _ => 7 };
        var cmd = new Command("gemm", "GFLOP/s of the GEMM kernel on the network's shapes and on 512/1024/2048 squares, on 1 thread and on all cores, against the measured FMA peak.")
        {
            json, repeats,
        };
        cmd.SetAction(r =>
        {
            CommonOptions.ApplyThreads(r);
            int n = r.GetValue(repeats);
            if (n < 1) throw new CommandLineException($"--repeats must be at least 1, got {n}.");
            int allCores = r.GetValue(CommonOptions.Threads) ?? Environment.ProcessorCount;
            var report = Run(Shapes, allCores == 1 ? [1] : [1, allCores], n);
            if (r.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(report, CliJson.Default.Report));
                return 0;
            }
            var inv = CultureInfo.InvariantCulture;
            var table = new Table { Expand = false }.AddColumns("case", "m", "n", "k", "op", "A zeros", "thr", "GFLOP/s", "min", "max", "%peak");
            foreach (var c in report.Cases)
                table.AddRow(Markup.Escape(c.Name), c.M.ToString(inv), c.N.ToString(inv), c.K.ToString(inv),
                    (c.TransA ? "Aᵀ" : "A") + "·" + (c.TransB ? "Bᵀ" : "B"), c.Zeros == 0 ? "" : c.Zeros.ToString("P0", inv), c.Threads.ToString(inv),
                    c.Gflops.ToString("F1", inv), c.GflopsMin.ToString("F1", inv), c.GflopsMax.ToString("F1", inv),
                    c.PercentOfPeak.ToString("F1", inv));
            AnsiConsole.Console.Write(table);
            AnsiConsole.Console.MarkupLine(
                $"FMA peak {report.PeakGflopsPerCore.ToString("F1", inv)} GFLOP/s per core (measured); GFLOP/s = 2·m·n·k / time, median of {n} repeats; rows with A zeros skip them (sparse kernel), counted at the dense flops");
            return 0;
        });
        return cmd;
    }

    /// <summary>Times every shape on each thread count, each on a context of its own.</summary>
    public static Report Run(IReadOnlyList<Shape> shapes, IReadOnlyList<int> threadCounts, int repeats, double secondsPerRepeat = 0.02)
    {
        double peak = FmaPeak.MeasureGflopsPerCore();
        var results = new List<Result>();
        {
            foreach (var shape in shapes)
            {
                var rng = new Random(1);
                var a = RandomArray(rng, shape.M * shape.K);
                for (int i = 0; i < a.Length; i++) if (rng.NextDouble() < shape.Zeros) a[i] = 0f;
                bool sparse = shape.Zeros > 0 && SparseGemm.Supported && !shape.TransB;
                var b = RandomArray(rng, shape.K * shape.N);
                var c = new float[shape.M * shape.N];
                int lda = shape.TransA ? shape.M : shape.K, ldb = shape.TransB ? shape.K : shape.N;
                ComputeContext? context = null;
                void Once()
                {
                    if (sparse) SparseGemm.Multiply(context!, shape.M, shape.N, shape.K, a, lda, shape.TransA, b, ldb, c, shape.N);
                    else Gemm.Multiply(context!, shape.M, shape.N, shape.K, a, lda, shape.TransA, b, ldb, shape.TransB, c, shape.N);
                }
                foreach (int threads in threadCounts)
                {
                    using var ctx = context = new ComputeContext(threads);
                    // Warm up, and pick how many calls make one timed repeat.
                    Once();
                    long start = Stopwatch.GetTimestamp();
                    Once();
                    double once = Math.Max(Stopwatch.GetElapsedTime(start).TotalSeconds, 1e-7);
                    int calls = (int)Math.Clamp(secondsPerRepeat / once, 1, 1_000_000);
                    for (int w = 0; w < Math.Min(calls, 10); w++) Once();
                    var gflops = new double[repeats];
                    double flops = 2.0 * shape.M * shape.N * shape.K * calls;
                    for (int t = 0; t < repeats; t++)
                    {
                        start = Stopwatch.GetTimestamp();
                        for (int i = 0; i < calls; i++) Once();
                        gflops[t] = flops / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9;
                    }
                    Array.Sort(gflops);
                    double median = repeats % 2 == 1 ? gflops[repeats / 2] : (gflops[repeats / 2 - 1] + gflops[repeats / 2]) / 2;
                    results.Add(new Result(shape.Name, shape.M, shape.N, shape.K, shape.TransA, shape.TransB, shape.Zeros, threads,
                        median, gflops[0], gflops[^1], 100 * median / (peak * threads)));
                }
            }
        }
        return new Report(peak, results);
    }

    private static float[] RandomArray(Random rng, int length)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}
