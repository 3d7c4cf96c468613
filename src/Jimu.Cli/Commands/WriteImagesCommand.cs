using System.CommandLine;
using Jimu.Images;
using Spectre.Console;

namespace Jimu.Cli.Commands;

/// <summary>`jimu write-images`: writes a data set (an IDX folder, say) out as an image folder of PNG and/or JPEG files.</summary>
public static class WriteImagesCommand
{
    public static Command Create()
    {
        var data = new DataOptions();
        var output = new Option<string>("--out") { Description = "The image folder to create (must not exist or be empty): OUT/train/<class>/*, OUT/test/<class>/*, OUT/classes.txt when the classes have names.", Required = true };
        var format = new Option<string>("--format") { Description = "png, jpeg, or mixed (even-numbered images PNG, odd-numbered JPEG).", DefaultValueFactory = _ => "png" };
        format.AcceptOnlyFromAmong([.. ImageFolderWriter.Formats]);
        var quality = new Option<int>("--quality") { Description = "JPEG quality, 1–100.", DefaultValueFactory = _ => 95 };
        var cmd = new Command("write-images", "Write a data set's images out as an image folder (PNG and/or JPEG), the layout train --data reads.") { output, format, quality };
        foreach (var o in data.All) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            CommonOptions.ApplyThreads(r);
            string dir = data.Directory(r);
            int[] shape = DataSource.Detect(dir) == DataSource.Idx ? DataSource.IdxShape(dir)
                : ImageFolder.TypicalShape(ImageFolder.Splits(dir, r.GetValue(data.ValSplit), 1).Train.Files);
            var loaded = data.Load(r, shape, seed: 1);
            string outDir = r.GetValue(output)!;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int n = ImageFolderWriter.Write(loaded.Train, loaded.Test, outDir, r.GetValue(format)!, r.GetValue(quality), loaded.Classes,
                CommonOptions.ThreadCount);
            AnsiConsole.Console.MarkupLineInterpolated($"Wrote {n:N0} images ({loaded.Train.Count:N0} train, {loaded.Test.Count:N0} test, {r.GetValue(format)}) to [bold]{outDir}[/] in {clock.Elapsed.TotalSeconds:F1} s.");
            return 0;
        });
        return cmd;
    }
}
