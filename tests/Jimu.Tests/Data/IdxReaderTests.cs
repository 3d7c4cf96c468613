using Jimu.Data;

namespace Jimu.Tests.Data;

public class IdxReaderTests
{
    private const string Name = "train-images-idx3-ubyte";

    private static JimuException Fails(Func<object> read, params string[] expected)
    {
        var e = Assert.ThrowsAny<JimuException>(read);
        foreach (var s in expected) Assert.Contains(s, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsImagesScaledToUnitRange(bool gzip)
    {
        byte[] payload = [0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8];
        byte[] file = IdxBytes.Build(IdxReader.ImagesMagic, [2, 2, 3], payload);
        if (gzip) file = IdxBytes.Gzip(file);

        var images = IdxReader.ReadImages(new MemoryStream(file), Name);

        Assert.Equal([2, 1, 2, 3], images.Shape.ToArray());
        Assert.Equal(0f, images[0, 0, 0, 0]);
        Assert.Equal(1f, images[0, 0, 0, 1]);
        Assert.Equal(0.2f, images[0, 0, 0, 2], 6);
        Assert.Equal(8 / 255f, images[1, 0, 1, 2], 6);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsLabels(bool gzip)
    {
        byte[] file = IdxBytes.Labels(5, 0, 4, 255);
        if (gzip) file = IdxBytes.Gzip(file);
        Assert.Equal([5, 0, 4, 255], IdxReader.ReadLabels(new MemoryStream(file), "labels"));
    }

    [Fact]
    public void GzipIsDetectedByContentNotByName()
    {
        using var dir = new TempDirectory();
        string gzipWithoutSuffix = dir.File("labels-raw-name");
        string rawWithSuffix = dir.File("labels.gz");
        File.WriteAllBytes(gzipWithoutSuffix, IdxBytes.Gzip(IdxBytes.Labels(1, 2, 3)));
        File.WriteAllBytes(rawWithSuffix, IdxBytes.Labels(1, 2, 3));

        Assert.Equal([1, 2, 3], IdxReader.ReadLabels(gzipWithoutSuffix));
        Assert.Equal([1, 2, 3], IdxReader.ReadLabels(rawWithSuffix));
    }

    [Fact]
    public void ReadRawReturnsAnyRank()
    {
        byte[] file = IdxBytes.Build(0x00000802, [2, 3], [1, 2, 3, 4, 5, 6]);
        byte[] data = IdxReader.ReadRaw(new MemoryStream(file), "matrix", out int[] dims);
        Assert.Equal([2, 3], dims);
        Assert.Equal([1, 2, 3, 4, 5, 6], data);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedPayloadIsAnError(bool gzip)
    {
        byte[] file = IdxBytes.Images(3, 4, 4);
        file = file[..^5];
        if (gzip) file = IdxBytes.Gzip(file);
        Fails(() => IdxReader.ReadImages(new MemoryStream(file), Name),
            Name, "truncated IDX file", "3 images of 4x4 (48 bytes)", "only 43 bytes");
    }

    [Fact]
    public void TruncatedHeaderIsAnError()
    {
        byte[] file = IdxBytes.Images(3, 4, 4)[..10];
        Fails(() => IdxReader.ReadImages(new MemoryStream(file), Name), Name, "truncated IDX file", "header");
        Fails(() => IdxReader.ReadImages(new MemoryStream(file[..2]), Name), Name, "truncated IDX file");
    }

    [Fact]
    public void CutOffGzipStreamIsAnError()
    {
        byte[] gz = IdxBytes.Gzip(IdxBytes.Images(20, 8, 8));
        var e = Assert.ThrowsAny<JimuException>(() => IdxReader.ReadImages(new MemoryStream(gz[..(gz.Length / 2)]), Name));
        Assert.Contains(Name, e.Message);
    }

    [Fact]
    public void EmptyFileIsAnError() =>
        Fails(() => IdxReader.ReadLabels(new MemoryStream([]), "labels.gz"), "labels.gz", "empty");

    [Fact]
    public void TrailingBytesAreAnError()
    {
        byte[] file = [.. IdxBytes.Labels(1, 2, 3), 9, 9];
        Fails(() => IdxReader.ReadLabels(new MemoryStream(file), "t10k-labels-idx1-ubyte"),
            "t10k-labels-idx1-ubyte", "2 unexpected byte(s)", "3 labels");
        Fails(() => IdxReader.ReadLabels(new MemoryStream(IdxBytes.Gzip(file)), "t10k-labels-idx1-ubyte.gz"),
            "t10k-labels-idx1-ubyte.gz", "2 unexpected byte(s)");
    }

    [Fact]
    public void WrongMagicIsAnError()
    {
        byte[] file = IdxBytes.Build(0x12345678, [1], [0]);
        Fails(() => IdxReader.ReadImages(new MemoryStream(file), Name), Name, "not an IDX file", "12 34 56 78", "00 00 08 03");
    }

    [Fact]
    public void UnsupportedElementTypeIsAnError()
    {
        byte[] file = IdxBytes.Build(0x00000D03, [1, 1, 1], [0, 0, 0, 0]);
        Fails(() => IdxReader.ReadImages(new MemoryStream(file), Name), Name, "element type 0x0d (float32)", "unsigned-byte");
    }

    [Fact]
    public void WrongRankIsAnError()
    {
        Fails(() => IdxReader.ReadImages(new MemoryStream(IdxBytes.Labels(1, 2)), Name), Name, "1 dimension(s)", "images file needs 3");
        Fails(() => IdxReader.ReadLabels(new MemoryStream(IdxBytes.Images(1, 2, 2)), "labels"), "labels", "3 dimension(s)", "labels file needs 1");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void NonPositiveDimensionIsAnError(int size)
    {
        byte[] file = IdxBytes.Build(IdxReader.ImagesMagic, [2, size, 3], []);
        Fails(() => IdxReader.ReadImages(new MemoryStream(file), Name), Name, $"size {size}", "positive");
    }

    [Fact]
    public void HugeDimensionsAreAnError()
    {
        byte[] file = IdxBytes.Build(IdxReader.ImagesMagic, [int.MaxValue, 28, 28], []);
        Fails(() => IdxReader.ReadImages(new MemoryStream(file), Name), Name, "too large");
    }

    [Fact]
    public void MissingFileIsAnError()
    {
        using var dir = new TempDirectory();
        string path = dir.File("nothing-here-idx1-ubyte");
        Fails(() => IdxReader.ReadLabels(path), path, "not found");
    }
}
