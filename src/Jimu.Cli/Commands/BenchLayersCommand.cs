using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Jimu.Layers;
using Jimu.Tensors;
using Spectre.Console;
using Padding = Jimu.Layers.Padding;

namespace Jimu.Cli.Commands;

/// <summary>
/// `jimu bench layers`: the seeds' experiment (seed 004). The same conv and pooling layers computed by direct
/// loops and by im2col, forward + backward: do they agree, and how long does each take?
/// </summary>
public static class BenchLayersCommand
{
    public sealed record Case(string Name, string Shape, bool Agree, double MaxAbsDiff, Timing Direct, Timing Im2Col);

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object with keys conv, maxpool and avgpool." };
        var repeats = new Option<int>("--repeats") { Description = "Timed repeats per algorithm (after one warm-up); the median is reported.", DefaultValueFactory = _ => 5 };
        var cmd = new Command("layers", "Direct loops vs im2col for conv (batch 64, 32→64 channels, 14×14, 5×5, padding 2) and 2×2/2 max and average pooling (batch 64, 3 channels, 28×28), forward + backward.")
        {
            json, repeats,
        };
        cmd.SetAction(r =>
        {
            CommonOptions.ApplyThreads(r);
            int n = r.GetValue(repeats);
            if (n < 1) throw new ArgumentException($"--repeats must be at least 1, got {n}.");
            var cases = Run(n);
            if (r.GetValue(json))
            {
                var obj = cases.ToDictionary(c => c.Name, c => (object)new Dictionary<string, object>
                {
                    ["agree"] = c.Agree,
                    ["max_abs_diff"] = c.MaxAbsDiff,
                    ["direct_ms"] = c.Direct.Median,
                    ["direct_ms_min"] = c.Direct.Min,
                    ["direct_ms_max"] = c.Direct.Max,
                    ["im2col_ms"] = c.Im2Col.Median,
                    ["im2col_ms_min"] = c.Im2Col.Min,
                    ["im2col_ms_max"] = c.Im2Col.Max,
                    ["shape"] = c.Shape,
                });
                Console.Out.WriteLine(JsonSerializer.Serialize(obj));
                return 0;
            }
            var inv = CultureInfo.InvariantCulture;
            var table = new Table().AddColumns("layer", "shape", "agree", "max |diff|", "direct ms", "im2col ms", "direct / im2col");
            foreach (var c in cases)
                table.AddRow(c.Name, Markup.Escape(c.Shape), c.Agree ? "[green]yes[/]" : "[red]no[/]", c.MaxAbsDiff.ToString("G3", inv),
                    c.Direct.Median.ToString("F2", inv), c.Im2Col.Median.ToString("F2", inv), (c.Direct.Median / c.Im2Col.Median).ToString("F2", inv) + "×");
            AnsiConsole.Console.Write(table);
            AnsiConsole.Console.MarkupLine($"median of {n} repeats of forward + backward, {Jimu.Kernels.Parallelism.Threads} thread(s)");
            return 0;
        });
        return cmd;
    }

    public static List<Case> Run(int repeats)
    {
        var rng = new Random(4);
        var conv = Compare("conv", rng, [64, 32, 14, 14],
            a => new Conv2D(32, 64, 5, 5, 1, 1, Padding.Symmetric(2), true, a == 0 ? ConvAlgorithm.Direct : ConvAlgorithm.Im2Col, "conv2"),
            repeats);
        var max = Compare("maxpool", rng, [64, 3, 28, 28],
            a => new MaxPool2D(2, 2, 2, 2, Padding.Zero, a == 0 ? PoolAlgorithm.Direct : PoolAlgorithm.Im2Col, "pool"), repeats);
        var avg = Compare("avgpool", rng, [64, 3, 28, 28],
            a => new AvgPool2D(2, 2, 2, 2, Padding.Zero, a == 0 ? PoolAlgorithm.Direct : PoolAlgorithm.Im2Col, "pool"), repeats);
        return [conv, max, avg];
    }

    private static Case Compare(string name, Random rng, int[] inputShape, Func<int, Layer> make, int repeats)
    {
        var direct = make(0);
        var im2col = make(1);
        // Same weights for both.
        for (int i = 0; i < direct.Parameters.Count; i++)
        {
            var v = direct.Parameters[i].Value;
            for (int j = 0; j < v.Length; j++) v.Data[j] = (float)(rng.NextDouble() * 0.2 - 0.1);
            im2col.Parameters[i].Value.CopyFrom(v);
        }
        var x = Random(rng, inputShape);
        var dy = Random(rng, direct.OutputShape(inputShape));
        double diff = 0, scale = 0;
        void Compare(Tensor reference, Tensor other)
        {
            diff = Math.Max(diff, MaxAbsDiff(reference, other));
            for (int i = 0; i < reference.Length; i++) scale = Math.Max(scale, Math.Abs(reference.Data[i]));
        }
        Compare(direct.Forward(x), im2col.Forward(x));
        Compare(direct.Backward(dy)!, im2col.Backward(dy)!);
        for (int i = 0; i < direct.Parameters.Count; i++) Compare(direct.Parameters[i].Grad, im2col.Parameters[i].Grad);
        var td = Timing.Measure(() => { direct.Forward(x); direct.Backward(dy); }, repeats);
        var ti = Timing.Measure(() => { im2col.Forward(x); im2col.Backward(dy); }, repeats);
        // Float32 sums in different orders differ in the last bits: agree to 1e-5 of the largest magnitude involved.
        return new Case(name, Tensor.Format(inputShape), diff <= 1e-5 * Math.Max(scale, 1), diff, td, ti);
    }

    private static Tensor Random(Random rng, int[] shape)
    {
        var t = new Tensor(shape);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }

    private static double MaxAbsDiff(Tensor a, Tensor b)
    {
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs((double)a.Data[i] - b.Data[i]));
        return m;
    }
}
