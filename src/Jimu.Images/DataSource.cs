using Jimu.Data;

namespace Jimu.Images;

/// <summary>How <see cref="DataSource.Load"/> reads a data directory.</summary>
public sealed record DataSourceOptions
{
    /// <summary>The network's input [C, H, W]: image folders are converted and resized to it; IDX data must already have it.</summary>
    public int[] Input { get; init; } = [1, 28, 28];
    /// <inheritdoc cref="ImageFolderOptions.ValSplit"/>
    public double? ValSplit { get; init; }
    /// <inheritdoc cref="ImageFolderOptions.Seed"/>
    public int Seed { get; init; } = 1;
    /// <inheritdoc cref="ImageFolderOptions.SkipBad"/>
    public bool SkipBad { get; init; }
    /// <summary>A file of class names, one per line; default: DIR/classes.txt when it exists.</summary>
    public string? ClassesFile { get; init; }
    /// <inheritdoc cref="ImageFolderOptions.Threads"/>
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <inheritdoc cref="ImageFolderOptions.Progress"/>
    public Action<int, int>? Progress { get; init; }
    /// <summary>Load only the test split (for evaluation): <see cref="LoadedData.Train"/> is then empty.</summary>
    public bool TestOnly { get; init; }
    /// <inheritdoc cref="ImageFolderOptions.MaxPixels"/>
    public long MaxPixels { get; init; } = ImageDecoder.DefaultMaxPixels;
}

/// <summary>A loaded data set: both splits, what kind of folder it was, and what was skipped.</summary>
public sealed record LoadedData(Dataset Train, Dataset Test, string Format, string Directory, IReadOnlyList<string>? Classes,
    int SourceChannels, ImageFolderData? Images)
{
    /// <summary>What the model file records about this data (<see cref="DataDescription"/>).</summary>
    public DataDescription Describe() => DataDescription.Of(Train, Test, Format, Path.GetFullPath(Directory), SourceChannels) with
    {
        ValSplit = ValSplit, SplitSeed = ValSplit is null ? null : SplitSeed,
    };

    /// <summary>The held-out fraction when the test split was taken from one folder (null otherwise), and its seed.</summary>
    public double? ValSplit { get; init; }
    public int? SplitSeed { get; init; }
}

/// <summary>
/// <c>--data DIR</c>: an MNIST-format IDX folder (the four files, raw or .gz) or an image folder
/// (<see cref="ImageFolder"/>), told apart by what the folder holds. Class names come from the image folder's
/// subfolders, or for IDX data from <see cref="DataSourceOptions.ClassesFile"/> or DIR/classes.txt.
/// </summary>
public static class DataSource
{
    public const string Idx = "idx", ImageFolderFormat = "images";

    /// <summary>"idx" or "images"; a folder that is neither is a one-line error naming it.</summary>
    public static string Detect(string directory)
    {
        if (File.Exists(directory))
            throw new DataFormatException(directory, $"'{directory}' is a file, but the data must be a directory: an MNIST-format folder ({string.Join(", ", MnistFolder.FileNames)}, each optionally .gz) or an image folder (one subfolder per class); give that directory.");
        if (!Directory.Exists(directory))
            throw new DataFormatException(directory, $"data directory '{directory}' does not exist; give an MNIST-format folder or an image folder (one subfolder per class).");
        if (MnistFolder.Find(directory, "train-images-idx3-ubyte") is not null || MnistFolder.Find(directory, "t10k-images-idx3-ubyte") is not null)
            return Idx;
        if (Directory.GetDirectories(directory).Length > 0) return ImageFolderFormat;
        throw new DataFormatException(directory, $"{directory}: neither MNIST-format files ({string.Join(", ", MnistFolder.FileNames)}, each optionally .gz) nor class subfolders of images.");
    }

    /// <summary>One IDX image's shape [1, rows, cols], from the test images' header (nothing loaded).</summary>
    public static int[] IdxShape(string directory)
    {
        string path = MnistFolder.Find(directory, "t10k-images-idx3-ubyte") ?? MnistFolder.Find(directory, "train-images-idx3-ubyte")
            ?? throw new DataFormatException(directory, $"{directory}: no t10k-images-idx3-ubyte(.gz) or train-images-idx3-ubyte(.gz).");
        var dims = IdxReader.ReadDims(path);
        if (dims.Length != 3) throw new DataFormatException(path, $"{path}: IDX images file has {dims.Length} dimension(s), an images file needs 3 (count × rows × cols).");
        return [1, dims[1], dims[2]];
    }

    /// <summary>Checks that a network taking <paramref name="input"/> can be fed from <paramref name="directory"/>; before any data is loaded.</summary>
    public static void CheckFits(string directory, string format, int[] input, string who)
    {
        if (input[0] is not (1 or 3))
            throw new DataMismatchException(directory, $"{input[0]} channels", "1 (grey) or 3 (RGB) channels", $"{who} takes {input[0]}-channel input but images have 1 (grey) or 3 (RGB) channels; change the architecture's \"input\".");
        if (format == Idx)
        {
            var shape = IdxShape(directory);
            if (!shape.SequenceEqual(input))
                throw new DataMismatchException(directory, $"{input[0]}×{input[1]}×{input[2]}", $"{shape[0]}×{shape[1]}×{shape[2]}", $"{directory}: the IDX images are {shape[0]}×{shape[1]}×{shape[2]} but {who} takes {input[0]}×{input[1]}×{input[2]}; use an architecture for {shape[1]}×{shape[2]} grey images.");
        }
    }

    /// <summary>Loads both splits of <paramref name="directory"/>.</summary>
    public static LoadedData Load(string directory, DataSourceOptions options)
    {
        string format = Detect(directory);
        CheckFits(directory, format, options.Input, "the network");
        if (format == Idx)
        {
            if (options.ValSplit is not null)
                throw new SettingException("validation split", options.ValSplit.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{directory}: an MNIST-format folder has its own test split; a validation split does not apply.");
            Dataset train, test;
            if (options.TestOnly)
            {
                test = MnistFolder.LoadSplit(directory, "t10k");
                train = new Dataset(new Jimu.Tensors.Tensor([0, .. test.SampleShape]), [], test.ClassCount, "(not loaded)");
            }
            else (train, test) = MnistFolder.Load(directory);
            var names = ReadClasses(options.ClassesFile, directory, Math.Max(train.ClassCount, test.ClassCount));
            if (names is not null)
            {
                train = train.WithClassNames(names);
                test = test.WithClassNames(names);
            }
            return new LoadedData(train, test, Idx, directory, names, 1, null);
        }
        var data = ImageFolder.Load(directory, new ImageFolderOptions
        {
            Channels = options.Input[0], Height = options.Input[1], Width = options.Input[2],
            ValSplit = options.ValSplit, Seed = options.Seed, SkipBad = options.SkipBad,
            Threads = options.Threads, Progress = options.Progress, TestOnly = options.TestOnly, MaxPixels = options.MaxPixels,
        });
        var classes = data.Classes;
        if (ReadClasses(options.ClassesFile, directory, classes.Count) is { } given)
        {
            return new LoadedData(data.Train.WithClassNames(given), data.Test.WithClassNames(given), ImageFolderFormat, directory, given, data.SourceChannels, data)
                { ValSplit = options.ValSplit, SplitSeed = options.Seed };
        }
        return new LoadedData(data.Train, data.Test, ImageFolderFormat, directory, classes, data.SourceChannels, data)
            { ValSplit = options.ValSplit, SplitSeed = options.Seed };
    }

    /// <summary>
    /// Class names from <paramref name="file"/> (or DIR/classes.txt when it exists and no file is given): one per
    /// line, blank lines at the end ignored; their number must be <paramref name="count"/>. Null when there is no file.
    /// </summary>
    public static IReadOnlyList<string>? ReadClasses(string? file, string directory, int count)
    {
        string? path = file ?? (File.Exists(Path.Combine(directory, "classes.txt")) ? Path.Combine(directory, "classes.txt") : null);
        if (path is null) return null;
        if (!File.Exists(path)) throw new SettingException("class names", path, $"{path}: the class names file does not exist.");
        var lines = File.ReadAllLines(path).Select(l => l.Trim()).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        if (lines.Count != count)
            throw new SettingException("class names", path, $"{path}: {lines.Count} class name(s) but the data has {count} classes; give one name per line, in label order.");
        int blank = lines.FindIndex(l => l.Length == 0);
        if (blank >= 0) throw new SettingException("class names", path, $"{path}: line {blank + 1} is empty; every class needs a name.");
        var dup = lines.GroupBy(l => l).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new SettingException("class names", path, $"{path}: the class name '{dup.Key}' appears twice; class names must differ.");
        return lines;
    }
}
