using System.Diagnostics;
using Jimu.Data;

namespace Jimu.Images;

/// <summary>How <see cref="ImageFolder.Load"/> reads an image folder.</summary>
public sealed record ImageFolderOptions
{
    /// <summary>Each image is converted to this many channels (1 grey, 3 RGB) …</summary>
    public int Channels { get; init; } = 1;
    /// <summary>… and resized to Height × Width.</summary>
    public int Height { get; init; } = 28;
    public int Width { get; init; } = 28;
    /// <summary>For a folder without train/ and test/: the fraction of each class held out as the test split (0 &lt; F &lt; 1).</summary>
    public double? ValSplit { get; init; }
    /// <summary>Seeds the held-out choice of <see cref="ValSplit"/>.</summary>
    public int Seed { get; init; } = 1;
    /// <summary>Skip (and count) images that do not decode instead of stopping at the first.</summary>
    public bool SkipBad { get; init; }
    /// <summary>Threads that decode (default: every core).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Called from the decoding threads with (images decoded, images in all).</summary>
    public Action<int, int>? Progress { get; init; }
    /// <summary>Decode only the test split (for evaluation); the training split is then empty.</summary>
    public bool TestOnly { get; init; }
    /// <summary>
    /// The most pixels (width × height, from the header, before decoding) an image may have; a larger one is an
    /// <see cref="ImageTooLargeException"/>, skipped like any undecodable file with <see cref="SkipBad"/>.
    /// </summary>
    public long MaxPixels { get; init; } = ImageDecoder.DefaultMaxPixels;
}

/// <summary>What <see cref="ImageFolder.Load"/> found and decoded.</summary>
public sealed record ImageFolderData(
    Dataset Train, Dataset Test, IReadOnlyList<string> Classes, string Layout,
    int SkippedFiles, IReadOnlyList<string> BadFiles, int ColourImages, TimeSpan DecodeTime)
{
    /// <summary>1 when every image is grey, 3 when any is colour.</summary>
    public int SourceChannels => ColourImages > 0 ? 3 : 1;
}

/// <summary>
/// A folder of pictures in torchvision's ImageFolder layout: <c>DIR/train/&lt;class&gt;/*</c> and
/// <c>DIR/test/&lt;class&gt;/*</c>, or <c>DIR/&lt;class&gt;/*</c> with a held-out fraction per class
/// (<see cref="ImageFolderOptions.ValSplit"/>). Class names are the subfolder names in ordinal order; files are
/// found in subfolders at any depth, in ordinal path order; files without an image extension
/// (<see cref="ImageDecoder.Extensions"/>) are skipped and counted. Images are decoded once, in parallel, by
/// <see cref="ImageDecoder.Prepare"/> and held as bytes: C·H·W bytes per image.
/// </summary>
public static class ImageFolder
{
    /// <summary>The files of one split: paths, labels and the class names.</summary>
    public sealed record Split(string Directory, IReadOnlyList<string> Classes, IReadOnlyList<string> Files, int[] Labels, int SkippedFiles);

    /// <summary>Whether <paramref name="directory"/> has train/ and test/ subfolders.</summary>
    public static bool HasSplits(string directory) =>
        Directory.Exists(Path.Combine(directory, "train")) && Directory.Exists(Path.Combine(directory, "test"));

    /// <summary>Lists the classes and image files of one folder of class subfolders, checking that it can be trained on.</summary>
    public static Split Scan(string directory) => Validate(List(directory));

    private static Split List(string directory)
    {
        if (!Directory.Exists(directory))
            throw new DataFormatException(directory, $"{directory}: the folder does not exist; give an image folder (one subfolder per class) or an MNIST-format folder.");
        var classes = Directory.GetDirectories(directory).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal).ToList();
        var files = new List<string>();
        var labels = new List<int>();
        int skipped = Directory.GetFiles(directory).Length; // loose files beside the class folders
        for (int c = 0; c < classes.Count; c++)
        {
            var all = Directory.GetFiles(Path.Combine(directory, classes[c]), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
            var images = all.Where(ImageDecoder.HasImageExtension).ToList();
            skipped += all.Count - images.Count;
            files.AddRange(images);
            labels.AddRange(Enumerable.Repeat(c, images.Count));
        }
        return new Split(directory, classes, files, [.. labels], skipped);
    }

    private static Split Validate(Split split)
    {
        var (directory, classes, files, labels) = (split.Directory, split.Classes, split.Files, split.Labels);
        if (files.Count == 0)
            throw new DataFormatException(directory, $"{directory}: no images found (PNG, JPEG, BMP or GIF in one subfolder per class).");
        if (classes.Count < 2)
            throw new DataFormatException(directory, $"{directory}: only one class ('{classes[0]}'); a classifier needs at least two class subfolders.");
        var counts = new int[classes.Count];
        foreach (int l in labels) counts[l]++;
        for (int c = 0; c < classes.Count; c++)
            if (counts[c] == 0)
                throw new DataFormatException(Path.Combine(directory, classes[c]), $"{Path.Combine(directory, classes[c])}: class '{classes[c]}' has no images; add some or remove the folder.");
        return split;
    }

    /// <summary>
    /// The train and test file lists: from train/ and test/ (which must have the same classes), or from one folder
    /// with <paramref name="valSplit"/> of each class held out at random from <paramref name="seed"/>.
    /// </summary>
    public static (Split Train, Split Test, string Layout) Splits(string directory, double? valSplit, int seed)
    {
        if (HasSplits(directory))
        {
            if (valSplit is not null)
                throw new SettingException("validation split", valSplit.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{directory}: the folder already has train/ and test/; a validation split does not apply.");
            var train = List(Path.Combine(directory, "train"));
            var test = List(Path.Combine(directory, "test"));
            foreach (var c in train.Classes.Except(test.Classes))
                throw new DataFormatException(Path.Combine(directory, "test"), $"{Path.Combine(directory, "test")}: class '{c}' of the training split is missing from the test split; every class needs test images.");
            foreach (var c in test.Classes.Except(train.Classes))
                throw new DataFormatException(Path.Combine(directory, "train"), $"{Path.Combine(directory, "train")}: class '{c}' of the test split is missing from the training split; every class needs training images.");
            return (Validate(train), Validate(test), "train/ and test/");
        }
        var all = Scan(directory);
        if (valSplit is not { } f)
            throw new DataFormatException(directory, $"{directory}: the folder has no train/ and test/ subfolders; hold out a fraction of each class for testing with a validation split (for example 0.2).");
        if (!(f > 0 && f < 1))
            throw new SettingException("validation split", f.ToString(System.Globalization.CultureInfo.InvariantCulture), $"the validation split must be between 0 and 1 (exclusive), got {f}.");
        var rng = new Random(seed);
        var trainFiles = new List<string>(); var trainLabels = new List<int>();
        var testFiles = new List<string>(); var testLabels = new List<int>();
        for (int c = 0; c < all.Classes.Count; c++)
        {
            var members = Enumerable.Range(0, all.Files.Count).Where(i => all.Labels[i] == c).ToArray();
            if (members.Length < 2)
                throw new DataFormatException(Path.Combine(directory, all.Classes[c]), $"{Path.Combine(directory, all.Classes[c])}: class '{all.Classes[c]}' has only one image; a validation split needs at least two per class, one for each split.");
            for (int i = members.Length - 1; i > 0; i--) { int j = rng.Next(i + 1); (members[i], members[j]) = (members[j], members[i]); }
            int held = Math.Clamp((int)Math.Round(f * members.Length), 1, members.Length - 1);
            var test = members[..held].Order().ToArray();
            var train = members[held..].Order().ToArray();
            foreach (int i in test) { testFiles.Add(all.Files[i]); testLabels.Add(c); }
            foreach (int i in train) { trainFiles.Add(all.Files[i]); trainLabels.Add(c); }
        }
        return (new Split(directory, all.Classes, trainFiles, [.. trainLabels], all.SkippedFiles),
                new Split(directory, all.Classes, testFiles, [.. testLabels], 0),
                $"one folder, {f:0.##} of each class held out for testing");
    }

    /// <summary>Scans, splits and decodes an image folder.</summary>
    public static ImageFolderData Load(string directory, ImageFolderOptions options)
    {
        var (train, test, layout) = Splits(directory, options.ValSplit, options.Seed);
        if (options.TestOnly) train = train with { Files = [], Labels = [] };
        var files = train.Files.Concat(test.Files).ToArray();
        var clock = Stopwatch.StartNew();
        var decoded = Decode(files, options, out var bad, out int colour);
        var time = clock.Elapsed;
        if (bad.Count > 0 && !options.SkipBad) throw bad[0].Error;
        var badSet = bad.Select(b => b.Index).ToHashSet();
        Dataset Make(Split split, int offset, string name)
        {
            var keep = Enumerable.Range(0, split.Files.Count).Where(i => !badSet.Contains(offset + i)).ToArray();
            if (keep.Length == 0 && split.Files.Count > 0) throw new DataFormatException(split.Directory, $"{split.Directory}: none of its {split.Files.Count} images decodes.");
            int per = options.Channels * options.Height * options.Width;
            var pixels = new byte[(long)keep.Length * per];
            for (int k = 0; k < keep.Length; k++) decoded[offset + keep[k]]!.CopyTo(pixels, (long)k * per);
            var labels = keep.Select(i => split.Labels[i]).ToArray();
            return new Dataset(pixels, [options.Channels, options.Height, options.Width], labels, split.Classes.Count, name) { ClassNames = split.Classes };
        }
        var trainSet = Make(train, 0, train.Directory == test.Directory ? $"{directory} (training split)" : train.Directory);
        var testSet = Make(test, train.Files.Count, test.Directory == train.Directory ? $"{directory} (held-out split)" : test.Directory);
        foreach (var (split, set) in new[] { (train, trainSet), (test, testSet) })
        {
            if (split.Files.Count == 0) continue; // the training split of a test-only load
            var present = set.Labels.ToHashSet();
            for (int c = 0; c < split.Classes.Count; c++)
                if (!present.Contains(c))
                    throw new DataFormatException(split.Directory, $"{split.Directory}: every image of class '{split.Classes[c]}' failed to decode; fix them or remove the class.");
        }
        return new ImageFolderData(trainSet, testSet, train.Classes, layout, train.SkippedFiles + test.SkippedFiles,
            bad.Select(b => b.Path).ToList(), colour, time);
    }

    private sealed record Bad(int Index, string Path, ImageDecodeException Error);

    /// <summary>Decodes every file in parallel into C·H·W bytes; failures are collected in file order.</summary>
    private static byte[]?[] Decode(string[] files, ImageFolderOptions o, out List<Bad> bad, out int colour)
    {
        if (o.MaxPixels < 1) throw new SettingException("maximum image size", o.MaxPixels.ToString(System.Globalization.CultureInfo.InvariantCulture), $"The maximum image size must be at least one pixel, got {o.MaxPixels}.");
        if (o.Channels is not (1 or 3)) // before the parallel loop: inside it, only a file's own error is collected
            throw new DataMismatchException("image folder", $"{o.Channels} channels", "1 (grey) or 3 (RGB) channels",
                $"images can be decoded to 1 (grey) or 3 (RGB) channels, not {o.Channels}; use an architecture whose input has 1 or 3 channels.");
        var result = new byte[]?[files.Length];
        var errors = new ImageDecodeException?[files.Length];
        int done = 0, colourCount = 0;
        int per = o.Channels * o.Height * o.Width;
        Parallel.For(0, files.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, o.Threads) }, i =>
        {
            try
            {
                byte[] bytes;
                try { bytes = File.ReadAllBytes(files[i]); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new ImageDecodeException(files[i], $"{files[i]}: cannot read the file ({e.Message}).", e);
                }
                ImageDecoder.CheckSize(bytes, files[i], o.MaxPixels); // a crafted header can claim gigabytes
                var pixels = ImageDecoder.Prepare(bytes, files[i], o.Channels, o.Height, o.Width, invert: false, out var d);
                var b = new byte[per];
                ImagePixels.ToBytes(pixels, b);
                result[i] = b;
                if (d.Colour) Interlocked.Increment(ref colourCount);
            }
            catch (ImageDecodeException e) { errors[i] = e; }
            int n = Interlocked.Increment(ref done);
            o.Progress?.Invoke(n, files.Length);
        });
        bad = [.. Enumerable.Range(0, files.Length).Where(i => errors[i] is not null).Select(i => new Bad(i, files[i], errors[i]!))];
        colour = colourCount;
        return result;
    }

    /// <summary>
    /// The most common image shape among (a sample of) the files' headers: [C, H, W] with C = 3 when any sampled
    /// image is colour, else 1; headers claiming more than <paramref name="maxPixels"/> are not counted (they will
    /// not decode). For architectures that take their input size from the data.
    /// </summary>
    public static int[] TypicalShape(IReadOnlyList<string> files, int sample = 2000, long maxPixels = ImageDecoder.DefaultMaxPixels)
    {
        int step = Math.Max(1, files.Count / sample);
        var sizes = new Dictionary<(int, int), int>();
        bool colour = false;
        for (int i = 0; i < files.Count; i += step)
        {
            if (ImageDecoder.Peek(files[i]) is not { } p || (long)p.Width * p.Height > maxPixels) continue;
            sizes[(p.Height, p.Width)] = sizes.GetValueOrDefault((p.Height, p.Width)) + 1;
            colour |= p.Channels >= 3;
        }
        if (sizes.Count == 0)
        {
            string where = files.Count == 0 ? "the image folder" : Path.GetDirectoryName(Path.GetDirectoryName(files[0])) ?? files[0];
            throw new DataFormatException(where, $"{where}: none of the sampled images has a readable header; check that the folder holds PNG, JPEG, BMP or GIF images.");
        }
        var (h, w) = sizes.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).First().Key;
        return [colour ? 3 : 1, h, w];
    }
}
