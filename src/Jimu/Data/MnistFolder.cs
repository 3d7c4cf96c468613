namespace Jimu.Data;

/// <summary>The train and test splits of an MNIST-format data set.</summary>
public sealed record MnistSplits(Dataset Train, Dataset Test);

/// <summary>
/// Loads a directory in the MNIST layout (MNIST, Fashion-MNIST, the bundled sample): the four files
/// <c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c> and
/// <c>t10k-labels-idx1-ubyte</c>, each raw or gzip-compressed with a <c>.gz</c> suffix
/// (the raw file is used when both exist).
/// </summary>
public static class MnistFolder
{
    /// <summary>The four standard file names, without the optional <c>.gz</c>.</summary>
    public static readonly IReadOnlyList<string> FileNames =
    [
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
    ];

    /// <summary>Loads both splits. Both get the same class count: the largest label in either + 1.</summary>
    public static MnistSplits Load(string directory)
    {
        CheckDirectory(directory);
        var (trainImages, trainLabels, trainName) = ReadSplit(directory, "train");
        var (testImages, testLabels, testName) = ReadSplit(directory, "t10k");
        int classes = Math.Max(Max(trainLabels), Max(testLabels)) + 1;
        return new MnistSplits(
            new Dataset(trainImages, trainLabels, classes, trainName),
            new Dataset(testImages, testLabels, classes, testName));
    }

    /// <summary>Loads one split: <paramref name="prefix"/> is "train" or "t10k".</summary>
    public static Dataset LoadSplit(string directory, string prefix)
    {
        CheckDirectory(directory);
        var (images, labels, name) = ReadSplit(directory, prefix);
        return new Dataset(images, labels, null, name);
    }

    /// <summary>Path of <c>{directory}/{name}</c> or <c>{directory}/{name}.gz</c>, whichever exists (raw first); null if neither.</summary>
    public static string? Find(string directory, string name)
    {
        string raw = Path.Combine(directory, name);
        if (File.Exists(raw)) return raw;
        string gz = raw + ".gz";
        return File.Exists(gz) ? gz : null;
    }

    private static void CheckDirectory(string directory)
    {
        if (File.Exists(directory))
            throw new DataFormatException(directory, $"'{directory}' is a file, but the data set is a directory holding the MNIST-format files {string.Join(", ", FileNames)} (each optionally .gz); pass that directory.");
        if (!Directory.Exists(directory))
            throw new DataFormatException(directory, $"data directory '{directory}' does not exist; give a directory with the MNIST-format files {string.Join(", ", FileNames)} (each optionally .gz).");
    }

    private static (Jimu.Tensors.Tensor Images, int[] Labels, string Name) ReadSplit(string directory, string prefix)
    {
        string imagesPath = Require(directory, $"{prefix}-images-idx3-ubyte");
        string labelsPath = Require(directory, $"{prefix}-labels-idx1-ubyte");
        var images = IdxReader.ReadImages(imagesPath);
        var labels = IdxReader.ReadLabels(labelsPath);
        if (images.Dim(0) != labels.Length)
            throw new DataFormatException(imagesPath, $"{imagesPath}: holds {images.Dim(0)} images but {labelsPath} holds {labels.Length} labels; the two files of a split must have the same count (re-download or re-extract the data set).");
        return (images, labels, imagesPath);
    }

    private static string Require(string directory, string name) =>
        Find(directory, name) ?? throw new DataFormatException(directory,
            $"data directory '{directory}' has no {name} or {name}.gz; it must hold the MNIST-format files {string.Join(", ", FileNames)} (each optionally .gz).");

    private static int Max(int[] labels) => labels.Length == 0 ? -1 : labels.Max();
}
