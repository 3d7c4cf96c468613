using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Jimu.Data;
using Spectre.Console;

namespace Jimu.Cli.Commands;

/// <summary>`jimu eval`: loss, accuracy, per-class precision and recall and the confusion matrix on the test split.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model();
        var arch = ModelOptions.Arch();
        var data = new DataOptions();
        var seed = new Option<int?>("--seed") { Description = "With --val-split: the seed that chose the held-out images (default: the one recorded at training)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: loss, accuracy, count, per_class, confusion." };
        var batch = new Option<int>("--batch-size") { Description = "Evaluation batch size.", DefaultValueFactory = _ => 256 };
        var plot = new Option<string?>("--plot") { Description = "Draw the confusion matrix as a heat map with the class names to FILE.png." };
        var cmd = new Command("eval", "Evaluate a model on the test split of a data set (by default the data it was trained on, when its file records it).") { model, arch, json, batch, plot, seed };
        foreach (var o in data.All) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            CommonOptions.ApplyThreads(r);
            var m = ModelOptions.Load(r, model, arch);
            int batchSize = r.GetValue(batch);
            if (batchSize < 1) throw new CommandLineException($"--batch-size must be at least 1, got {batchSize}.");
            if (r.GetValue(plot) is { } plotPath)
            {
                if (!plotPath.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new CommandLineException($"--plot '{plotPath}': the file name must end in .png.");
                EpochLog.CheckDirectory("--plot", plotPath);
            }
            string dir = ModelChecks.EvalDirectory(m, r.GetValue(data.Data));
            // The shape check reads headers only: a model that cannot take the data is refused before anything loads.
            Jimu.Images.DataSource.CheckFits(dir, Jimu.Images.DataSource.Detect(dir), m.Network.InputShape, $"the model {r.GetValue(model)}");
            // A test split held out by --val-split at training is found again with the same fraction and seed.
            bool sameData = m.TrainedOn?.Source is { } src && Path.GetFullPath(dir) == Path.GetFullPath(src);
            double? valSplit = r.GetValue(data.ValSplit) ?? (sameData ? m.TrainedOn!.ValSplit : null);
            int splitSeed = r.GetValue(seed) ?? m.TrainedOn?.SplitSeed ?? 1;
            var loaded = Jimu.Images.DataSource.Load(dir, new Jimu.Images.DataSourceOptions
            {
                Input = m.Network.InputShape, ValSplit = valSplit, Seed = splitSeed, SkipBad = r.GetValue(data.SkipBad),
                ClassesFile = r.GetValue(data.Classes), Threads = CommonOptions.ThreadCount, TestOnly = true, MaxPixels = data.MaxPixels(r),
            });
            ModelChecks.CheckEvalData(m, loaded);
            var test = loaded.Test;
            var e = m.Evaluate(test, batchSize);
            if (r.GetValue(plot) is { } png)
                Plots.Confusion(e.Confusion, ClassNames.Of(m, e.Classes),
                    string.Create(CultureInfo.InvariantCulture, $"{m.Architecture.Name}: accuracy {e.Accuracy * 100:F2}% on {e.Count:N0} test images"), png);
            if (r.GetValue(json))
            {
                var perClass = Enumerable.Range(0, e.Classes)
                    .Select(c => new EvalClass(c, m.Classes?[c], e.Precision(c), e.Recall(c), e.Confusion[c].Sum())).ToArray();
                Console.Out.WriteLine(JsonSerializer.Serialize(new EvalReport(e.Loss, e.Accuracy, e.Count, perClass, e.Confusion), CliJson.Default.EvalReport));
                return 0;
            }
            var console = AnsiConsole.Console;
            console.MarkupLineInterpolated($"{r.GetValue(model)}: loss [bold]{e.Loss.ToString("F4", CultureInfo.InvariantCulture)}[/], accuracy [bold]{(e.Accuracy * 100).ToString("F2", CultureInfo.InvariantCulture)}%[/] on {e.Count:N0} test images");
            var perTable = new Table().AddColumns("class", "precision", "recall", "support");
            for (int c = 0; c < e.Classes; c++)
                perTable.AddRow(Markup.Escape(m.LabelOf(c)), Pct(e.Precision(c)), Pct(e.Recall(c)), e.Confusion[c].Sum().ToString(CultureInfo.InvariantCulture));
            console.Write(perTable);
            var confusion = new Table().Title("confusion (rows: true class, columns: predicted)");
            confusion.AddColumn("");
            for (int c = 0; c < e.Classes; c++) confusion.AddColumn(new TableColumn(c.ToString(CultureInfo.InvariantCulture)).RightAligned());
            for (int t = 0; t < e.Classes; t++)
                confusion.AddRow([Markup.Escape(m.LabelOf(t)), .. e.Confusion[t].Select(v => v.ToString(CultureInfo.InvariantCulture))]);
            console.Write(confusion);
            return 0;
        });
        return cmd;
    }

    private static string Pct(double v) => (v * 100).ToString("F2", CultureInfo.InvariantCulture) + "%";
}
