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
/// loops and by im2col (and the convolution by Winograd too), forward + backward: do they agree with the direct
/// loops, and how long does each take?
/// </summary>
public static class BenchLayersCommand
{
    /// <summary>One layer: <paramref name="Winograd"/> only for the convolution, when this machine runs it.</summary>
    public sealed record Case(string Name, string Shape, bool Agree, double MaxAbsDiff, Timing Direct, Timing Im2Col,
        Timing? Winograd, double WinogradMaxAbsDiff);

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object with keys conv, maxpool and avgpool." };
        var repeats = new Option<int>("--repeats") { Description = "Timed repeats per algorithm (after one warm-up); the median is reported.", DefaultValueFactory = _ => 5 };
        var cmd = new Command("layers", "Direct loops vs im2col (and Winograd for conv) for conv (batch 64, 32→64 channels, 14×14, 5×5, padding 2) and 2×2/2 max and average pooling (batch 64, 3 channels, 28×28), forward + backward.")
        {
            json, repeats,
        };
        cmd.SetAction(r =>
        {
            CommonOptions.ApplyThreads(r);
            int n = r.GetValue(repeats);
            if (n < 1) throw new CommandLineException($"--repeats must be at least 1, got {n}.");
            var cases = Run(n);
            if (r.GetValue(json))
            {
                var obj = cases.ToDictionary(c => c.Name, c =>
                {
                    var o = new Dictionary<string, object>
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
                    };
                    if (c.Winograd is { } w)
                    {
                        o["winograd_ms"] = w.Median;
                        o["winograd_ms_min"] = w.Min;
                        o["winograd_ms_max"] = w.Max;
                        o["winograd_max_abs_diff"] = c.WinogradMaxAbsDiff;
                    }
                    return (object)o;
                });
                Console.Out.WriteLine(JsonSerializer.Serialize(obj, CliJson.Default.DictionaryStringObject));
                return 0;
            }
            var inv = CultureInfo.InvariantCulture;
            var table = new Table().AddColumns("layer", "shape", "agree", "max |diff| im2col", "direct ms", "im2col ms", "direct / im2col",
                "max |diff| winograd", "winograd ms");
            foreach (var c in cases)
                table.AddRow(c.Name, Markup.Escape(c.Shape), c.Agree ? "[green]yes[/]" : "[red]no[/]", c.MaxAbsDiff.ToString("G3", inv),
                    c.Direct.Median.ToString("F2", inv), c.Im2Col.Median.ToString("F2", inv), (c.Direct.Median / c.Im2Col.Median).ToString("F2", inv) + "×",
                    c.Winograd is null ? "–" : c.WinogradMaxAbsDiff.ToString("G3", inv), c.Winograd?.Median.ToString("F2", inv) ?? "–");
            AnsiConsole.Console.Write(table);
            AnsiConsole.Console.MarkupLine($"median of {n} repeats of forward + backward, {CommonOptions.ThreadCount} thread(s)");
            return 0;
        });
        return cmd;
    }

    public static List<Case> Run(int repeats)
    {
        var rng = new Random(4);
        ConvAlgorithm[] convAlgorithms = [ConvAlgorithm.Direct, ConvAlgorithm.Im2Col, ConvAlgorithm.Winograd];
        bool winograd = Jimu.Kernels.ConvWinograd.Supports(
            Jimu.Kernels.ConvGeometry.Create("conv2", 32, 14, 14, 5, 5, 1, 1, Padding.Symmetric(2)));
        var conv = Compare("conv", rng, [64, 32, 14, 14], winograd ? 3 : 2,
            a => new Conv2D(32, 64, 5, 5, 1, 1, Padding.Symmetric(2), true, convAlgorithms[a], "conv2"), repeats);
        var max = Compare("maxpool", rng, [64, 3, 28, 28], 2,
            a => new MaxPool2D(2, 2, 2, 2, Padding.Zero, a == 0 ? PoolAlgorithm.Direct : PoolAlgorithm.Im2Col, "pool"), repeats);
        var avg = Compare("avgpool", rng, [64, 3, 28, 28], 2,
            a => new AvgPool2D(2, 2, 2, 2, Padding.Zero, a == 0 ? PoolAlgorithm.Direct : PoolAlgorithm.Im2Col, "pool"), repeats);
        return [conv, max, avg];
    }

    /// <summary>Algorithm 0 (the direct loops) against algorithms 1 (im2col) and 2 (Winograd, when asked for).</summary>
    private static Case Compare(string name, Random rng, int[] inputShape, int algorithms, Func<int, Layer> make, int repeats)
    {
        using var context = new ComputeContext(CommonOptions.ThreadCount);
        var layers = Enumerable.Range(0, algorithms).Select(make).ToArray();
        foreach (var layer in layers) layer.Context = context;
        var direct = layers[0];
        // Same weights for all.
        for (int i = 0; i < direct.Parameters.Count; i++)
        {
            var v = direct.Parameters[i].Value;
            for (int j = 0; j < v.Length; j++) v.Data[j] = (float)(rng.NextDouble() * 0.2 - 0.1);
            direct.Parameters[i].MarkChanged();
            foreach (var other in layers.Skip(1))
            {
                other.Parameters[i].Value.CopyFrom(v);
                other.Parameters[i].MarkChanged();
            }
        }
        var x = Random(rng, inputShape);
        var dy = Random(rng, direct.OutputShape(inputShape));
        double diff = 0, scale = 0;
        void Compare(Tensor reference, Tensor other)
        {
            diff = Math.Max(diff, MaxAbsDiff(reference, other));
            for (int i = 0; i < reference.Length; i++) scale = Math.Max(scale, Math.Abs(reference.Data[i]));
        }
        var y = direct.Forward(x).Clone();
        var dx = direct.Backward(dy)!.Clone();
        var diffs = new double[layers.Length];
        for (int a = 1; a < layers.Length; a++)
        {
            diff = 0;
            Compare(y, layers[a].Forward(x));
            Compare(dx, layers[a].Backward(dy)!);
            for (int i = 0; i < direct.Parameters.Count; i++) Compare(direct.Parameters[i].Grad, layers[a].Parameters[i].Grad);
            diffs[a] = diff;
        }
        var timings = layers.Select(l => Timing.Measure(() => { l.Forward(x); l.Backward(dy); }, repeats)).ToArray();
        // Float32 sums in different orders differ in the last bits: im2col agrees to 1e-5 of the largest magnitude
        // involved. Winograd's transforms scale terms up (by up to 25) before they cancel: 1e-4.
        scale = Math.Max(scale, 1);
        bool agree = diffs[1] <= 1e-5 * scale && (layers.Length < 3 || diffs[2] <= 1e-4 * scale);
        return new Case(name, Tensor.Format(inputShape), agree, diffs[1], timings[0], timings[1],
            timings.Length > 2 ? timings[2] : null, layers.Length > 2 ? diffs[2] : 0);
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
