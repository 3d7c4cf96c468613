using System.CommandLine;
using System.Globalization;
using Jimu.Data;
using Jimu.Images;
using Jimu.Models;
using Spectre.Console;

namespace Jimu.Cli;

/// <summary>
/// --data, --classes, --val-split, --skip-bad and --max-megapixels, as train and eval take them, and loading the data they name
/// (Jimu.Images.DataSource: an IDX folder or an image folder) with a progress bar while images decode.
/// </summary>
public sealed class DataOptions
{
    public Option<string?> Data { get; } = new("--data")
    {
        Description = "An MNIST-format folder (the four IDX files, raw or .gz) or an image folder: DIR/train/<class>/* and DIR/test/<class>/* (or DIR/<class>/* with --val-split). Default: the bundled 10,000-digit MNIST sample.",
    };
    public Option<string?> Classes { get; } = new("--classes") { Description = "Class names, one per line in label order (default: DIR/classes.txt when it exists; an image folder's subfolder names)." };
    public Option<double?> ValSplit { get; } = new("--val-split") { Description = "For an image folder without train/ and test/: the fraction of each class held out for testing, chosen by --seed." };
    public Option<bool> SkipBad { get; } = new("--skip-bad") { Description = "Skip (and count) images that do not decode instead of stopping with an error." };

    public Option<double> MaxMegapixels { get; } = new("--max-megapixels")
    {
        Description = "Largest image of an image folder in megapixels, read from its header before decoding; a larger one is an error (or skipped with --skip-bad).",
        DefaultValueFactory = _ => ImageDecoder.DefaultMaxPixels / 1e6,
    };

    public IEnumerable<Option> All => [Data, Classes, ValSplit, SkipBad, MaxMegapixels];

    /// <summary>--max-megapixels as pixels; a CommandLineException unless positive.</summary>
    public long MaxPixels(ParseResult r)
    {
        double mp = r.GetValue(MaxMegapixels);
        if (!(mp > 0 && mp * 1e6 < long.MaxValue)) throw new CommandLineException($"--max-megapixels must be positive, got {mp.ToString(CultureInfo.InvariantCulture)}.");
        return Math.Max(1, (long)(mp * 1e6));
    }

    public string Directory(ParseResult r) => r.GetValue(Data) ?? DataPaths.DefaultDataDirectory();

    /// <summary>Loads the data for a network taking <paramref name="input"/>; images decode in parallel under a progress bar.</summary>
    public LoadedData Load(ParseResult r, int[] input, int seed)
    {
        string dir = Directory(r);
        var console = AnsiConsole.Console;
        var options = new DataSourceOptions
        {
            Input = input, ValSplit = r.GetValue(ValSplit), Seed = seed, SkipBad = r.GetValue(SkipBad),
            ClassesFile = r.GetValue(Classes), Threads = CommonOptions.ThreadCount, MaxPixels = MaxPixels(r),
        };
        if (DataSource.Detect(dir) != DataSource.ImageFolderFormat || !console.Profile.Capabilities.Interactive)
            return DataSource.Load(dir, options);
        LoadedData? loaded = null;
        console.Progress().AutoClear(true).HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("decoding images", maxValue: 1);
                loaded = DataSource.Load(dir, options with
                {
                    Progress = (done, total) => { task.MaxValue = total; if (done % 256 == 0 || done == total) task.Value = done; },
                });
                task.StopTask();
            });
        return loaded!;
    }

    /// <summary>One line on what was loaded: counts, shape, bytes per image, skipped files and decode time.</summary>
    public static string Describe(LoadedData d)
    {
        var inv = CultureInfo.InvariantCulture;
        string classes = d.Classes is { } c ? $"{c.Count} classes ({string.Join(", ", c.Take(4))}{(c.Count > 4 ? ", …" : "")})" : $"{d.Train.ClassCount} classes";
        string line = string.Create(inv, $"{d.Train.Count:N0} training and {d.Test.Count:N0} test images from {d.Directory} ({(d.Format == DataSource.Idx ? "IDX" : "image folder, " + d.Images!.Layout)}), {classes}, {d.Train.Channels}×{d.Train.Height}×{d.Train.Width}, {d.Train.BytesPerImage:N0} bytes per image in memory");
        if (d.Images is { } img)
        {
            line += string.Create(inv, $"; decoded in {img.DecodeTime.TotalSeconds:F1} s ({img.ColourImages:N0} colour)");
            if (img.SkippedFiles > 0) line += string.Create(inv, $"; {img.SkippedFiles:N0} non-image file(s) skipped");
            if (img.BadFiles.Count > 0) line += string.Create(inv, $"; {img.BadFiles.Count:N0} undecodable image(s) skipped (first: {img.BadFiles[0]})");
        }
        return line;
    }

    /// <summary>
    /// A built-in fitted to the data: its class count (the last linear layer), and for those that take any input size
    /// (<see cref="BuiltIns.TakesAnyInputSize"/>) its input: an IDX file's shape, or an image folder's typical size and
    /// channels (colour when any sampled image is). Other architectures are returned as they are.
    /// </summary>
    public static Architecture Fit(Architecture a, bool builtIn, string dir, double? valSplit, int seed, string? classesFile,
        long maxPixels = ImageDecoder.DefaultMaxPixels)
    {
        if (!builtIn) return a;
        string format = DataSource.Detect(dir);
        int classes;
        if (format == DataSource.Idx)
        {
            if (BuiltIns.TakesAnyInputSize(a.Name)) a = a.WithInput(DataSource.IdxShape(dir));
            classes = classesFile is not null || File.Exists(Path.Combine(dir, "classes.txt"))
                ? File.ReadAllLines(classesFile ?? Path.Combine(dir, "classes.txt")).Count(l => l.Trim().Length > 0)
                : (a.Layers[^1] as LayerSpec.Linear)?.OutFeatures ?? 10;
        }
        else
        {
            var (train, _, _) = ImageFolder.Splits(dir, valSplit, seed);
            if (BuiltIns.TakesAnyInputSize(a.Name)) a = a.WithInput(ImageFolder.TypicalShape(train.Files, maxPixels: maxPixels));
            classes = train.Classes.Count;
        }
        return a.WithClasses(classes);
    }
}
