using Jimu.Layers;
using Jimu.Data;
using Jimu.Images;
using Jimu.Models;
using Jimu.Training;

namespace Jimu.Tests.Data;

/// <summary>Image folders: layout, skipped files, splits, decoding errors, class names, and the colour-only data set.</summary>
public class ImageFolderTests
{
    /// <summary>A [C, H, W] image in [0, 1] written as PNG or JPEG.</summary>
    internal static void WriteImage(string path, float[] chw, int channels, int h, int w, bool jpeg = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, ImageFolderWriter.Encode(chw, channels, h, w, jpeg, 100));
    }

    /// <summary>A grey image whose pixels are all <paramref name="value"/>/255.</summary>
    private static void Flat(string path, byte value, int h = 6, int w = 5) =>
        WriteImage(path, Enumerable.Repeat(value / 255f, h * w).ToArray(), 1, h, w);

    private static string TwoClassFolder(TempDirectory dir, bool split = true)
    {
        string root = dir.File("pics");
        foreach (var s in split ? new[] { "train", "test" } : [""])
            for (int i = 0; i < 4; i++)
            {
                Flat(Path.Combine(root, s, "cat", $"{i}.png"), (byte)(10 + i));
                Flat(Path.Combine(root, s, "dog", $"{i}.PNG"), (byte)(200 + i));
            }
        return root;
    }

    private static readonly DataSourceOptions Grey6x5 = new() { Input = [1, 6, 5], Threads = 2 };

    [Fact]
    public void TrainTestFolder_ClassesInOrdinalOrder_NonImagesSkippedAndCounted_BytesInMemory()
    {
        using var dir = new TempDirectory();
        string root = TwoClassFolder(dir);
        File.WriteAllText(Path.Combine(root, "train", "cat", "notes.txt"), "not an image");
        File.WriteAllText(Path.Combine(root, "train", "dog", ".DS_Store"), "");
        Assert.Equal("images", DataSource.Detect(root));
        var d = DataSource.Load(root, Grey6x5);
        Assert.Equal(["cat", "dog"], d.Classes!);
        Assert.Equal(8, d.Train.Count);
        Assert.Equal(8, d.Test.Count);
        Assert.Equal(2, d.Images!.SkippedFiles);
        Assert.Equal(30, d.Train.BytesPerImage);
        Assert.Equal(1, d.SourceChannels);
        var px = new float[30];
        d.Train.CopyImage(0, px);
        Assert.All(px, v => Assert.Equal(10 / 255f, v));
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1], d.Train.Labels);
    }

    [Fact]
    public void ImagesAreConvertedAndResized_ExactlyAsPredictDoes()
    {
        using var dir = new TempDirectory();
        string root = dir.File("pics");
        var rng = new Random(3);
        var colour = Enumerable.Range(0, 3 * 9 * 7).Select(_ => (float)rng.NextDouble()).ToArray();
        foreach (var s in new[] { "train", "test" })
        {
            WriteImage(Path.Combine(root, s, "a", "x.png"), colour, 3, 9, 7);
            WriteImage(Path.Combine(root, s, "b", "y.jpg"), colour, 3, 9, 7, jpeg: true);
        }
        foreach (int channels in new[] { 1, 3 })
        {
            var d = DataSource.Load(root, new DataSourceOptions { Input = [channels, 12, 10] });
            for (int i = 0; i < 2; i++)
            {
                string file = Path.Combine(root, "train", i == 0 ? "a" : "b", i == 0 ? "x.png" : "y.jpg");
                var predict = Jimu.Cli.ImageInput.Load(file, channels, 12, 10, invert: false)[0].Pixels;
                var expected = new byte[predict.Length];
                ImagePixels.ToBytes(predict, expected);
                var got = new float[predict.Length];
                d.Train.CopyImage(i, got);
                Assert.Equal(expected.Select(b => b / 255f), got);
            }
            Assert.Equal(3, d.SourceChannels);
        }
    }

    [Fact]
    public void ValSplit_IsStratifiedAndDeterministicPerSeed()
    {
        using var dir = new TempDirectory();
        string root = dir.File("flat");
        for (int i = 0; i < 10; i++)
        {
            Flat(Path.Combine(root, "a", $"{i:00}.png"), (byte)i);
            Flat(Path.Combine(root, "b", $"{i:00}.png"), (byte)(100 + i));
        }
        var e = Assert.Throws<DataFormatException>(() => DataSource.Load(root, Grey6x5));
        Assert.Contains("validation split", e.Message);
        Assert.Equal(root, e.Path);
        var one = DataSource.Load(root, Grey6x5 with { ValSplit = 0.3, Seed = 5 });
        var two = DataSource.Load(root, Grey6x5 with { ValSplit = 0.3, Seed = 5 });
        var other = DataSource.Load(root, Grey6x5 with { ValSplit = 0.3, Seed = 6 });
        Assert.Equal(6, one.Test.Count);
        Assert.Equal([0, 0, 0, 1, 1, 1], one.Test.Labels);
        Assert.Equal(one.Test.Images.Span.ToArray(), two.Test.Images.Span.ToArray());
        Assert.NotEqual(one.Test.Images.Span.ToArray(), other.Test.Images.Span.ToArray());
        // Train and test never share an image.
        var train = Enumerable.Range(0, one.Train.Count).Select(i => one.Train.Images[i, 0, 0, 0]).ToHashSet();
        Assert.DoesNotContain(Enumerable.Range(0, one.Test.Count).Select(i => one.Test.Images[i, 0, 0, 0]), train.Contains);
    }

    [Fact]
    public void BadFolders_AreOneLineErrorsNamingThePath()
    {
        using var dir = new TempDirectory();
        string empty = dir.File("empty");
        Directory.CreateDirectory(Path.Combine(empty, "cat"));
        File.WriteAllText(Path.Combine(empty, "cat", "readme.txt"), "x");
        AssertError(() => DataSource.Load(empty, Grey6x5 with { ValSplit = 0.5 }), empty, "no images");

        string one = dir.File("one");
        Flat(Path.Combine(one, "cat", "a.png"), 1); Flat(Path.Combine(one, "cat", "b.png"), 2);
        AssertError(() => DataSource.Load(one, Grey6x5 with { ValSplit = 0.5 }), one, "only one class");

        string missing = TwoClassFolder(dir);
        Directory.Delete(Path.Combine(missing, "test", "dog"), recursive: true);
        AssertError(() => DataSource.Load(missing, Grey6x5), Path.Combine(missing, "test"), "class 'dog'", "missing from the test split");
    }

    [Fact]
    public void UndecodableImage_StopsWithItsPath_OrIsSkippedAndCounted()
    {
        using var dir = new TempDirectory();
        string root = TwoClassFolder(dir);
        string bad = Path.Combine(root, "train", "dog", "broken.png");
        File.WriteAllBytes(bad, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]);
        string truncated = Path.Combine(root, "test", "cat", "cut.jpg");
        var jpeg = ImageFolderWriter.Encode(new float[30], 1, 6, 5, jpeg: true);
        File.WriteAllBytes(truncated, jpeg[..20]);
        AssertError(() => DataSource.Load(root, Grey6x5), bad, "cannot decode");
        var d = DataSource.Load(root, Grey6x5 with { SkipBad = true });
        Assert.Equal([bad, truncated], d.Images!.BadFiles);
        Assert.Equal(8, d.Train.Count);
        Assert.Equal(8, d.Test.Count);
    }

    /// <summary>A 1×1 grey PNG whose header (CRC fixed) claims <paramref name="width"/>×<paramref name="height"/> pixels: 60 bytes.</summary>
    internal static byte[] PngClaiming(int width, int height)
    {
        var png = Jimu.Tests.Cli.Png.Encode(1, 1, rgb: false, [0]);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Jimu.Tests.Cli.Png.Crc32(png.AsSpan(12, 17)));
        return png;
    }

    [Fact]
    public void An_image_claiming_too_many_pixels_is_refused_from_its_header_or_skipped()
    {
        using var dir = new TempDirectory();
        string root = TwoClassFolder(dir);
        string bomb = Path.Combine(root, "train", "dog", "bomb.png");
        File.WriteAllBytes(bomb, PngClaiming(20000, 20000)); // 400 megapixels, 1.2 GB as RGB, in 60 bytes
        var e = Assert.Throws<ImageTooLargeException>(() => DataSource.Load(root, Grey6x5));
        Assert.Equal((bomb, 20000, 20000, ImageDecoder.DefaultMaxPixels), (e.Path, e.Width, e.Height, e.MaxPixels));
        Assert.Equal($"{bomb}: the image claims 20000×20000 = 400.0 megapixels; at most 100.0 are accepted; scale it down first.", e.Message);
        Assert.IsAssignableFrom<ImageDecodeException>(e); // what --skip-bad skips
        var skipped = DataSource.Load(root, Grey6x5 with { SkipBad = true });
        Assert.Equal([bomb], skipped.Images!.BadFiles);
        Assert.Equal(8, skipped.Train.Count);

        // The limit is an option: 500 megapixels lets the header through, and the decoder then finds no pixels for it.
        var decodeError = Assert.Throws<ImageDecodeException>(() => DataSource.Load(root, Grey6x5 with { MaxPixels = 500_000_000 }));
        Assert.IsNotType<ImageTooLargeException>(decodeError);
        // A real 6×5 picture passes a limit of exactly its 30 pixels and is refused at 29.
        File.Delete(bomb);
        Assert.Equal(8, DataSource.Load(root, Grey6x5 with { MaxPixels = 30 }).Train.Count);
        var tight = Assert.Throws<ImageTooLargeException>(() => DataSource.Load(root, Grey6x5 with { MaxPixels = 29 }));
        Assert.Equal((5, 6, 29L), (tight.Width, tight.Height, tight.MaxPixels)); // 5 wide, 6 high
        Assert.Throws<SettingException>(() => DataSource.Load(root, Grey6x5 with { MaxPixels = 0 }));
    }

    [Fact]
    public void ClassesFile_NamesIdxClasses_AndMustMatchTheCount()
    {
        using var dir = new TempDirectory();
        string data = Jimu.Tests.Cli.TinyModel.WriteData(dir.Path);
        string names = dir.File("names.txt");
        File.WriteAllLines(names, Enumerable.Range(0, 10).Select(i => $"digit {i}"));
        var d = DataSource.Load(data, new DataSourceOptions { ClassesFile = names });
        Assert.Equal("digit 3", d.Train.ClassNames![3]);
        Assert.Equal(d.Classes, d.Test.ClassNames);
        File.WriteAllLines(names, ["a", "b", "c"]);
        AssertError(() => DataSource.Load(data, new DataSourceOptions { ClassesFile = names }), names, "3 class name(s)", "10 classes");
        File.WriteAllLines(Path.Combine(data, "classes.txt"), Enumerable.Range(0, 10).Select(i => $"c{i}"));
        Assert.Equal("c9", DataSource.Load(data, new DataSourceOptions()).Classes![9]);
    }

    [Fact]
    public void ArchitectureThatCannotTakeImages_IsRefusedBeforeLoading()
    {
        using var dir = new TempDirectory();
        string root = TwoClassFolder(dir);
        AssertError(() => DataSource.Load(root, Grey6x5 with { Input = [2, 6, 5] }), "2-channel");
        string idx = Jimu.Tests.Cli.TinyModel.WriteData(dir.Path);
        AssertError(() => DataSource.Load(idx, new DataSourceOptions { Input = [1, 32, 32] }), idx, "28×28", "32×32");
    }

    [Fact]
    public void WrittenAsImages_AnIdxSetLoadsBackTheSame()
    {
        using var dir = new TempDirectory();
        var (train, test) = Jimu.Tests.Cli.TinyModel.LoadData(dir.Path);
        string root = dir.File("as-images");
        ImageFolderWriter.Write(train, test, root, "png");
        var back = DataSource.Load(root, new DataSourceOptions());
        Assert.Equal(train.Count, back.Train.Count);
        // Ordinal file order within each class: compare the multiset of (label, image) pairs.
        static string[] Keys(Dataset d) => Enumerable.Range(0, d.Count)
            .Select(i => { var p = new float[d.SampleLength]; d.CopyImage(i, p); return d.Labels[i] + ":" + string.Join(",", p.Select(v => (int)MathF.Round(v * 255))); })
            .Order().ToArray();
        Assert.Equal(Keys(train), Keys(back.Train));
        Assert.Equal(Keys(test), Keys(back.Test));
    }

    /// <summary>
    /// Three classes whose grey (luma) images come from one distribution: only the hue tells them apart. A colour model
    /// learns them perfectly; the same images read grey leave a model near chance.
    /// </summary>
    [Fact]
    public void ColourOnlyDataSet_ColourModelReaches100Percent_GreyCannot()
    {
        using var dir = new TempDirectory();
        string root = dir.File("colour");
        var rng = new Random(11);
        // Offsets along directions of zero luma: 77·r + 150·g + 29·b = 0.
        float[][] hue = [[0.2f, -0.1027f, 0f], [-0.2f, 0.1027f, 0f], [0f, 0.0193f, -0.1f]];
        const int h = 10, w = 10;
        foreach (var (split, count) in new[] { ("train", 40), ("test", 15) })
            for (int c = 0; c < 3; c++)
                for (int i = 0; i < count; i++)
                {
                    var img = new float[3 * h * w];
                    for (int p = 0; p < h * w; p++)
                    {
                        float luma = 0.3f + 0.4f * (float)rng.NextDouble();
                        for (int ch = 0; ch < 3; ch++) img[ch * h * w + p] = luma + hue[c][ch];
                    }
                    WriteImage(Path.Combine(root, split, $"class{c}", $"{i:000}.png"), img, 3, h, w);
                }

        double Accuracy(int channels)
        {
            var data = DataSource.Load(root, new DataSourceOptions { Input = [channels, h, w] });
            var arch = new ArchitectureBuilder("colour", channels, h, w).Conv2D(8, 3, padding: Padding.Same, bias: false).BatchNorm().Relu()
                .GlobalAvgPool().Linear(3).Build();
            var model = Model.Create(arch, seed: 2);
            model.Normalization = Normalization.Compute(data.Train);
            model.Fit(data.Train, data.Test, new OptimizerSettings { Kind = OptimizerKind.Adam, LearningRate = 0.02f },
                new TrainingOptions { Epochs = 15, BatchSize = 20, Seed = 3 });
            return model.Evaluate(data.Test).Accuracy;
        }
        Assert.Equal(1.0, Accuracy(3));
        Assert.True(Accuracy(1) < 0.6, "grey images should not separate the classes");
    }

    private static void AssertError(Action load, params string[] expected)
    {
        var e = Assert.ThrowsAny<JimuException>(load);
        Assert.DoesNotContain('\n', e.Message);
        foreach (var s in expected) Assert.Contains(s, e.Message);
    }
}
