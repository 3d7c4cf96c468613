using Jimu.Images;
using Jimu.Models;

namespace Jimu.Tests.Cli;

/// <summary>
/// train and eval on image folders and IDX data with class names, normalisation and augmentation, and every bad input
/// the data can bring: exit code 1, one line naming the path, nothing written.
/// </summary>
public class ImageDataCliTests
{
    private static string ImageFolder(TempDirectory dir, string name = "pics")
    {
        var (train, test) = TinyModel.LoadData(dir.Path);
        string root = dir.File(name);
        ImageFolderWriter.Write(train, test, root, "mixed", classNames: Enumerable.Range(0, 10).Select(i => $"digit {i}").ToArray());
        return root;
    }

    private static string[] Files(TempDirectory dir) =>
        Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir.Path, f)).Order(StringComparer.Ordinal).ToArray();

    private static void Fails(TempDirectory dir, string[] args, params string[] expected)
    {
        var before = Files(dir);
        var r = CliRunner.Run(args);
        Assert.True(r.Code == 1, $"exit {r.Code}\n{r.Out}\n{r.Err}");
        string err = r.Err.TrimEnd('\r', '\n');
        Assert.StartsWith("error: ", err);
        Assert.DoesNotContain('\n', err);
        foreach (var s in expected) Assert.Contains(s, err);
        Assert.Equal(before, Files(dir));
    }

    /// <summary>`train` on <paramref name="data"/>; options in <paramref name="more"/> replace the defaults of the same name.</summary>
    private static string[] Train(TempDirectory dir, string data, params string[] more)
    {
        var defaults = new List<string[]> { new[] { "--arch", TinyModel.WriteArch(dir.Path) }, new[] { "--epochs", "1" }, new[] { "--batch-size", "16" }, new[] { "--out", dir.File("m.safetensors") } };
        defaults.RemoveAll(d => more.Contains(d[0]));
        return ["train", "--data", data, .. defaults.SelectMany(d => d), .. more];
    }

    [Fact]
    public void TrainOnImageFolder_SavesClassesNormalisationAndData_EvalAndPredictUseThem()
    {
        using var dir = new TempDirectory();
        string root = ImageFolder(dir);
        File.WriteAllText(Path.Combine(root, "train", "digit 3", "notes.txt"), "x");
        var r = CliRunner.Run(Train(dir, root, "--normalize", "auto", "--crop", "2", "--flip", "--shift", "0"));
        Assert.True(r.Code == 0, r.Err + r.Out);
        Assert.Contains("image folder", r.Out);
        Assert.Contains("784 bytes per image", r.Out);
        Assert.Contains("1 non-image file(s) skipped", r.Out);
        var m = Model.Load(dir.File("m.safetensors"));
        Assert.Equal("digit 0", m.Classes![0]);
        Assert.NotNull(m.Normalization);
        Assert.Equal("images", m.TrainedOn!.Format);
        Assert.Equal(Path.GetFullPath(root), m.TrainedOn.Source);

        // eval without --data takes the recorded folder; rows by class name.
        var e = CliRunner.Run("eval", "--model", dir.File("m.safetensors"), "--json");
        Assert.True(e.Code == 0, e.Err);
        Assert.Contains("the data the model was trained on", e.Err);
        Assert.Contains("\"name\":\"digit 0\"", e.Out);
        var p = CliRunner.Run("predict", "--model", dir.File("m.safetensors"), "--format", "json",
            Directory.GetFiles(Path.Combine(root, "test", "digit 1"))[0]);
        Assert.True(p.Code == 0, p.Err);
        Assert.Contains("\"class\":\"digit ", p.Out);
        Assert.Contains("\"class_index\":", p.Out);
    }

    [Fact]
    public void SameSeed_IdxAndImageFolderTrainingAgree()
    {
        using var dir = new TempDirectory();
        string root = ImageFolder(dir);
        string data = TinyModel.WriteData(dir.Path);
        var a = CliRunner.Run(Train(dir, data, "--out", dir.File("idx.safetensors"), "--no-shuffle", "--shift", "0"));
        var b = CliRunner.Run(Train(dir, root, "--out", dir.File("img.safetensors"), "--no-shuffle", "--shift", "0"));
        Assert.True(a.Code == 0 && b.Code == 0, a.Err + b.Err);
        // The image folder orders files by class, IDX by index: compare accuracy, not bits.
        double Acc(string f) => Model.Load(f).Evaluate(Jimu.Data.MnistFolder.LoadSplit(data, "t10k")).Accuracy;
        Assert.InRange(Math.Abs(Acc(dir.File("idx.safetensors")) - Acc(dir.File("img.safetensors"))), 0, 0.35);
    }

    [Fact]
    public void BadImageFolders()
    {
        using var dir = new TempDirectory();
        string empty = dir.File("empty");
        Directory.CreateDirectory(Path.Combine(empty, "a"));
        File.WriteAllText(Path.Combine(empty, "a", "readme.txt"), "x");
        Fails(dir, Train(dir, empty, "--val-split", "0.2"), empty, "no images");

        string root = ImageFolder(dir);
        foreach (var d in Directory.GetDirectories(Path.Combine(root, "test")).Where(d => !d.EndsWith("digit 0")))
            Directory.Delete(d, recursive: true);
        Fails(dir, Train(dir, root), "digit 1", "missing from the test split");

        string one = dir.File("one");
        Directory.CreateDirectory(Path.Combine(one, "only"));
        File.Copy(Directory.GetFiles(Path.Combine(root, "train", "digit 1"))[0], Path.Combine(one, "only", "a.png"));
        File.Copy(Directory.GetFiles(Path.Combine(root, "train", "digit 1"))[1], Path.Combine(one, "only", "b.png"));
        Fails(dir, Train(dir, one, "--val-split", "0.5"), one, "only one class");
        Fails(dir, Train(dir, root.Replace("pics", "nothing")), "nothing", "does not exist");
    }

    [Fact]
    public void UndecodableImage_ErrorsWithItsPath_OrSkipBadSkipsAndCounts()
    {
        using var dir = new TempDirectory();
        string root = ImageFolder(dir);
        string bad = Path.Combine(root, "train", "digit 2", "zz.png");
        File.WriteAllBytes(bad, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 9, 9, 9]);
        Fails(dir, Train(dir, root), bad);
        var r = CliRunner.Run(Train(dir, root, "--skip-bad"));
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("1 undecodable image(s) skipped", r.Out);
    }

    /// <summary>A 60-byte PNG claiming 400 megapixels in a training folder: refused from its header with the limit's option, or skipped.</summary>
    [Fact]
    public void ImageClaimingTooManyPixels_ErrorsWithTheLimit_OrSkipBadSkipsIt()
    {
        using var dir = new TempDirectory();
        string root = ImageFolder(dir);
        string bomb = Path.Combine(root, "train", "digit 2", "bomb.png");
        File.WriteAllBytes(bomb, Jimu.Tests.Data.ImageFolderTests.PngClaiming(20000, 20000));
        Fails(dir, Train(dir, root), bomb, "400.0 megapixels; at most 100.0 are accepted", "(raise --max-megapixels, or pass --skip-bad to skip such files)");
        Fails(dir, Train(dir, root, "--max-megapixels", "0"), "--max-megapixels must be positive");
        var r = CliRunner.Run(Train(dir, root, "--skip-bad"));
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("1 undecodable image(s) skipped", r.Out);
        // eval has the same option: a limit below the real pictures' 28×28 refuses them too.
        Fails(dir, ["eval", "--model", dir.File("m.safetensors"), "--data", root, "--max-megapixels", "0.0005"], "28×28 = 0.0 megapixels; at most 0.0005 are accepted", "--max-megapixels");
    }

    [Fact]
    public void ClassesFileOfTheWrongLength_AndArchitecturesThatCannotTakeTheImages()
    {
        using var dir = new TempDirectory();
        string data = TinyModel.WriteData(dir.Path);
        string names = dir.File("names.txt");
        File.WriteAllLines(names, ["a", "b", "c"]);
        Fails(dir, Train(dir, data, "--classes", names), names, "3 class name(s)");
        string arch2 = dir.File("two.json");
        File.WriteAllText(arch2, TinyModel.ArchJson.Replace("\"input\": [1, 28, 28]", "\"input\": [2, 28, 28]"));
        Fails(dir, Train(dir, ImageFolder(dir), "--arch", arch2), "2-channel");
        string arch14 = dir.File("small.json");
        File.WriteAllText(arch14, TinyModel.ArchJson.Replace("\"input\": [1, 28, 28]", "\"input\": [1, 14, 14]"));
        Fails(dir, Train(dir, data, "--arch", arch14), data, "1×28×28", "1×14×14");
    }

    [Fact]
    public void Eval_RefusesOtherClassesAndShapes_BeforeLoading_AndWarnsOnDataUnlikeItsOwn()
    {
        using var dir = new TempDirectory();
        string data = TinyModel.WriteData(dir.Path);
        File.WriteAllLines(Path.Combine(data, "classes.txt"), Enumerable.Range(0, 10).Select(i => $"n{i}"));
        var r = CliRunner.Run(Train(dir, data));
        Assert.True(r.Code == 0, r.Err);
        string model = dir.File("m.safetensors");

        // Other class names: refused.
        string other = TinyModel.WriteData(dir.File("other"));
        File.WriteAllLines(Path.Combine(other, "classes.txt"), Enumerable.Range(0, 10).Select(i => $"x{i}"));
        Fails(dir, ["eval", "--model", model, "--data", other], "classes", "x0", "n0");

        // Another shape: refused before anything is printed.
        string big = dir.File("big");
        TinyMnist.Write(big, size: 32);
        var s = CliRunner.Run("eval", "--model", model, "--data", big);
        Assert.Equal(1, s.Code);
        Assert.Equal("", s.Out);
        Assert.Contains("1×32×32", s.Err);

        // The same digits inverted: other pixels, same classes: a one-line warning, and the scores still come.
        string inverted = dir.File("inverted");
        TinyMnist.Write(inverted);
        foreach (var f in new[] { "t10k-images-idx3-ubyte" })
        {
            var bytes = File.ReadAllBytes(Path.Combine(inverted, f));
            for (int i = 16; i < bytes.Length; i++) bytes[i] = (byte)(255 - bytes[i]);
            File.WriteAllBytes(Path.Combine(inverted, f), bytes);
        }
        var w = CliRunner.Run("eval", "--model", model, "--data", inverted, "--json");
        Assert.Equal(0, w.Code);
        Assert.StartsWith("warning: ", w.Err);
        Assert.Contains("do not look like the model's training data", w.Err);
        Assert.Single(w.Err.TrimEnd().Split('\n'));
    }
}
