using Jimu.Data;

namespace Jimu.Tests.Data;

public class MnistFolderTests
{
    private static readonly Lazy<MnistSplits> Sample = new(() => MnistFolder.Load(RepoPaths.MnistSample));

    [Fact]
    public void BundledSampleLoads()
    {
        var (train, test) = Sample.Value;

        Assert.Equal([8000, 1, 28, 28], train.Images.Shape.ToArray());
        Assert.Equal([2000, 1, 28, 28], test.Images.Shape.ToArray());
        Assert.Equal(8000, train.Count);
        Assert.Equal(2000, test.Count);
        Assert.Equal(10, train.ClassCount);
        Assert.Equal(10, test.ClassCount);

        // The sample is a seeded shuffle of MNIST digits (see data/mnist-sample/README.md), so it does not start
        // with MNIST's first digit (a 5); these are its own first labels.
        Assert.Equal([8, 0, 2, 0, 0, 0, 9, 6, 4, 1], train.Labels[..10]);
        Assert.Equal([9, 8, 7, 4, 2, 6, 9, 9, 4, 5], test.Labels[..10]);
        Assert.Equal([810, 913, 786, 805, 799, 685, 807, 862, 745, 788],
            Enumerable.Range(0, 10).Select(c => train.Labels.Count(l => l == c)).ToArray());

        foreach (var d in new[] { train, test })
        {
            float min = float.MaxValue, max = float.MinValue;
            foreach (float v in d.Images.Span) { min = Math.Min(min, v); max = Math.Max(max, v); }
            Assert.Equal(0f, min);
            Assert.Equal(1f, max);
        }
        // Sum of the first image's bytes, computed independently from the gzip file.
        Assert.Equal(24984, Math.Round(train.Images.Sample(0).ToArray().Sum(v => (double)v) * 255), 0);
    }

    private static void WriteSplit(TempDirectory dir, string prefix, int n, bool gzip, int extraLabels = 0)
    {
        byte[] images = IdxBytes.Images(n, 3, 2, seed: n);
        byte[] labels = IdxBytes.Labels(Enumerable.Range(0, n + extraLabels).Select(i => (byte)(i % 3)).ToArray());
        string suffix = gzip ? ".gz" : "";
        File.WriteAllBytes(dir.File($"{prefix}-images-idx3-ubyte{suffix}"), gzip ? IdxBytes.Gzip(images) : images);
        File.WriteAllBytes(dir.File($"{prefix}-labels-idx1-ubyte{suffix}"), gzip ? IdxBytes.Gzip(labels) : labels);
    }

    [Fact]
    public void RawAndGzipFilesBothLoad()
    {
        using var dir = new TempDirectory();
        WriteSplit(dir, "train", 5, gzip: false);
        WriteSplit(dir, "t10k", 4, gzip: true);

        var (train, test) = MnistFolder.Load(dir.Path);

        Assert.Equal([5, 1, 3, 2], train.Images.Shape.ToArray());
        Assert.Equal([4, 1, 3, 2], test.Images.Shape.ToArray());
        Assert.Equal([0, 1, 2, 0, 1], train.Labels);
        Assert.Equal(3, test.ClassCount);
        Assert.Equal(4 / 255f, test.Images[0, 0, 0, 0], 6);
    }

    [Fact]
    public void RawFileIsPreferredOverGzip()
    {
        using var dir = new TempDirectory();
        WriteSplit(dir, "train", 5, gzip: false);
        WriteSplit(dir, "train", 7, gzip: true);
        Assert.Equal(5, MnistFolder.LoadSplit(dir.Path, "train").Count);
    }

    [Fact]
    public void MissingDirectoryIsAnError()
    {
        using var dir = new TempDirectory();
        string missing = dir.File("no-such-dir");
        var e = Assert.Throws<DataFormatException>(() => MnistFolder.Load(missing));
        Assert.Contains($"data directory '{missing}' does not exist", e.Message);
        Assert.Equal(missing, e.Path);
        Assert.DoesNotContain("--", e.Message); // the library names no command-line option
        Assert.Contains("t10k-labels-idx1-ubyte", e.Message);
    }

    [Fact]
    public void MissingFileNamesTheExpectedFile()
    {
        using var dir = new TempDirectory();
        WriteSplit(dir, "train", 5, gzip: true);
        File.WriteAllBytes(dir.File("t10k-images-idx3-ubyte"), IdxBytes.Images(2, 3, 2));
        var e = Assert.ThrowsAny<JimuException>(() => MnistFolder.Load(dir.Path));
        Assert.Contains("no t10k-labels-idx1-ubyte or t10k-labels-idx1-ubyte.gz", e.Message);
        Assert.Contains(dir.Path, e.Message);
    }

    [Fact]
    public void MismatchedCountsAreAnError()
    {
        using var dir = new TempDirectory();
        WriteSplit(dir, "train", 5, gzip: false, extraLabels: 1);
        WriteSplit(dir, "t10k", 4, gzip: false);
        var e = Assert.ThrowsAny<JimuException>(() => MnistFolder.Load(dir.Path));
        Assert.Contains("train-images-idx3-ubyte", e.Message);
        Assert.Contains("5 images", e.Message);
        Assert.Contains("train-labels-idx1-ubyte", e.Message);
        Assert.Contains("6 labels", e.Message);
    }

    [Fact]
    public void DamagedFileInFolderNamesIt()
    {
        using var dir = new TempDirectory();
        WriteSplit(dir, "train", 5, gzip: false);
        WriteSplit(dir, "t10k", 4, gzip: false);
        string images = dir.File("t10k-images-idx3-ubyte");
        File.WriteAllBytes(images, File.ReadAllBytes(images)[..^1]);
        var e = Assert.ThrowsAny<JimuException>(() => MnistFolder.Load(dir.Path));
        Assert.Contains(images, e.Message);
        Assert.Contains("truncated", e.Message);
    }
}
