using Jimu.Models;

namespace Jimu.Tests.Cli;

/// <summary>Bad input: exit code 1, one line `error: …` naming the file or step, and no partial or overwritten model file.</summary>
public class CliErrorTests(TrainedTinyModel fixture) : IClassFixture<TrainedTinyModel>
{
    /// <summary>A fresh directory with data, tiny.json and an existing output model file (to check it is left alone).</summary>
    private sealed class Workspace : IDisposable
    {
        public TempDirectory Dir { get; } = new();
        public string Data { get; }
        public string Arch { get; }
        public string Out { get; }
        public byte[] OutBytes { get; }

        public Workspace(TrainedTinyModel fixture)
        {
            Data = TinyModel.WriteData(Dir.Path);
            Arch = TinyModel.WriteArch(Dir.Path);
            Out = Dir.File("out.safetensors");
            File.Copy(fixture.ModelPath, Out);
            OutBytes = File.ReadAllBytes(Out);
        }

        public string[] Snapshot() =>
            Directory.GetFiles(Dir.Path, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Dir.Path, f)).Order(StringComparer.Ordinal).ToArray();

        public void Dispose() => Dir.Dispose();
    }

    private static void AssertOneLineError((int Code, string Out, string Err) r, params string[] expected)
    {
        Assert.True(r.Code == 1, $"exit code {r.Code}\nstdout: {r.Out}\nstderr: {r.Err}");
        string err = r.Err.TrimEnd('\r', '\n');
        Assert.StartsWith("error: ", err);
        Assert.DoesNotContain('\n', err);
        Assert.DoesNotContain("   at ", r.Err + r.Out); // no stack trace
        Assert.DoesNotContain("(Parameter '", err);
        foreach (var s in expected) Assert.Contains(s, err);
    }

    /// <summary>Runs a failing command and checks the one-line error and that no file changed or appeared.</summary>
    private void Fails(Func<Workspace, string[]> args, Action<Workspace>? prepare, params string[] expected)
    {
        using var w = new Workspace(fixture);
        prepare?.Invoke(w);
        var before = w.Snapshot();
        var r = CliRunner.Run(args(w));
        AssertOneLineError(r, expected);
        Assert.Equal(before, w.Snapshot());
        Assert.Equal(w.OutBytes, File.ReadAllBytes(w.Out));
    }

    /// <summary>`train` on the workspace; options in <paramref name="more"/> replace the defaults of the same name.</summary>
    private static string[] Train(Workspace w, params string[] more)
    {
        var defaults = new List<string[]> { new[] { "--arch", w.Arch }, new[] { "--data", w.Data }, new[] { "--epochs", "1" }, new[] { "--batch-size", "16" }, new[] { "--out", w.Out } };
        defaults.RemoveAll(d => more.Contains(d[0]));
        return ["train", .. defaults.SelectMany(d => d), .. more];
    }

    [Fact]
    public void MissingDataDirectory()
    {
        Fails(w => ["train", "--arch", w.Arch, "--data", w.Dir.File("nope"), "--epochs", "1", "--out", w.Out], null, "nope", "--data");
        Fails(w => ["eval", "--model", w.Out, "--data", w.Dir.File("nope")], null, "nope");
    }

    [Fact]
    public void MissingDataFile()
    {
        Fails(w => Train(w), w => File.Delete(Path.Combine(w.Data, "train-labels-idx1-ubyte")), "train-labels-idx1-ubyte");
    }

    [Fact]
    public void TruncatedIdx()
    {
        Action<Workspace> cut = w =>
        {
            string f = Path.Combine(w.Data, "train-images-idx3-ubyte");
            var bytes = File.ReadAllBytes(f);
            File.WriteAllBytes(f, bytes[..(bytes.Length / 2)]);
        };
        Fails(w => Train(w), cut, "train-images-idx3-ubyte");
        Action<Workspace> cutTest = w =>
        {
            string f = Path.Combine(w.Data, "t10k-images-idx3-ubyte");
            var bytes = File.ReadAllBytes(f);
            File.WriteAllBytes(f, bytes[..100]);
        };
        Fails(w => ["eval", "--model", w.Out, "--data", w.Data], cutTest, "t10k-images-idx3-ubyte");
        Fails(w => ["predict", "--model", w.Out, Path.Combine(w.Data, "t10k-images-idx3-ubyte")], cutTest, "t10k-images-idx3-ubyte");
    }

    public static TheoryData<string> Corruptions => new() { "garbage", "truncated", "empty" };

    private static string Corrupt(Workspace w, string kind)
    {
        string bad = w.Dir.File("bad.safetensors");
        switch (kind)
        {
            case "garbage":
                var g = new byte[4096];
                new Random(4).NextBytes(g);
                File.WriteAllBytes(bad, g);
                break;
            case "truncated":
                File.WriteAllBytes(bad, w.OutBytes[..(w.OutBytes.Length * 2 / 3)]);
                break;
            default:
                File.WriteAllBytes(bad, []);
                break;
        }
        return bad;
    }

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void CorruptModelFile(string kind)
    {
        string Bad(Workspace w) => w.Dir.File("bad.safetensors");
        Action<Workspace> prepare = w => Corrupt(w, kind);
        Fails(w => ["eval", "--model", Bad(w), "--data", w.Data], prepare, "bad.safetensors");
        Fails(w => ["predict", "--model", Bad(w), Path.Combine(w.Data, "t10k-images-idx3-ubyte")], prepare, "bad.safetensors");
        Fails(w => ["summary", "--model", Bad(w)], prepare, "bad.safetensors");
        Fails(w => Train(w, "--init", Bad(w)), prepare, "bad.safetensors");
        Fails(w => ["train", "--resume", Bad(w), "--data", w.Data, "--epochs", "3", "--out", w.Out], prepare, "bad.safetensors");
        // --resume without --out writes back to the resumed file: it must stay as it was.
        Fails(w => ["train", "--resume", w.Out, "--data", w.Dir.File("nope"), "--epochs", "3"], null, "nope");
    }

    [Fact]
    public void MissingModelFile()
    {
        Fails(w => ["eval", "--model", w.Dir.File("none.safetensors"), "--data", w.Data], null, "none.safetensors");
        Fails(w => ["predict", "--model", w.Dir.File("none.safetensors"), Path.Combine(w.Data, "t10k-images-idx3-ubyte")], null, "none.safetensors");
    }

    [Fact]
    public void WeightsThatDoNotFitTheArchitecture()
    {
        Fails(w => ["eval", "--model", w.Out, "--arch", "lenet5", "--data", w.Data], null, "out.safetensors", "weights do not fit the architecture");
        Fails(w => ["predict", "--model", w.Out, "--arch", "lenet5", Path.Combine(w.Data, "t10k-images-idx3-ubyte")], null, "weights do not fit the architecture");
        Fails(w => Train(w, "--arch", "lenet5", "--init", w.Out), null, "weights do not fit the architecture");
    }

    [Fact]
    public void StateDictWithoutArch_SaysPassArch()
    {
        Action<Workspace> prepare = w =>
        {
            var m = Model.Load(w.Out);
            Jimu.IO.SafeTensors.Write(w.Dir.File("sd.safetensors"), m.Network.Parameters.ToDictionary(p => p.Name, p => p.Parameter.Value));
        };
        Fails(w => ["eval", "--model", w.Dir.File("sd.safetensors"), "--data", w.Data], prepare, "sd.safetensors", "--arch");
        Fails(w => ["train", "--resume", w.Dir.File("sd.safetensors"), "--data", w.Data, "--epochs", "2", "--out", w.Out], prepare, "--arch");

        using var ws = new Workspace(fixture);
        prepare(ws);
        var r = CliRunner.Run("eval", "--model", ws.Dir.File("sd.safetensors"), "--arch", ws.Arch, "--data", ws.Data, "--json");
        Assert.True(r.Code == 0, r.Err);
    }

    [Theory]
    [InlineData("broken.png")]
    [InlineData("notes.txt")]
    [InlineData("broken.jpg")]
    [InlineData("headeronly.jpg")]
    [InlineData("missing.png")]
    public void UndecodableImages(string name)
    {
        Action<Workspace> prepare = w =>
        {
            File.WriteAllBytes(w.Dir.File("broken.png"), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. "garbage garbage garbage"u8.ToArray()]);
            File.WriteAllText(w.Dir.File("notes.txt"), "this is not an image\n");
            // A segment longer than the file: StbImageSharp alone would loop forever on it.
            File.WriteAllBytes(w.Dir.File("broken.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);
            File.WriteAllBytes(w.Dir.File("headeronly.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00]);
        };
        Fails(w => ["predict", "--model", w.Out, w.Dir.File(name)], prepare, name);
    }

    [Theory]
    [InlineData("0", "16")]
    [InlineData("0.9", "16")]
    // One step per epoch: no training loss ever sees the blown-up weights; the test loss and weight checks must catch it.
    [InlineData("0", "64")]
    [InlineData("0.9", "64")]
    public void DivergingLoss_SaysDivergedAndLowerLr(string momentum, string batch)
    {
        Fails(w => Train(w, "--lr", "1e30", "--momentum", momentum, "--schedule", "constant", "--batch-size", batch), null, "diverged", "--lr");
    }

    [Fact]
    public void DivergingLoss_Adam()
    {
        Fails(w => Train(w, "--optimizer", "adam", "--lr", "1e30", "--schedule", "constant"), null, "diverged", "--lr");
    }

    public static TheoryData<string[], string> BadOptions => new()
    {
        { ["--epochs", "0"], "--epochs" },
        { ["--batch-size", "0"], "--batch-size" },
        { ["--threads", "0"], "--threads" },
        { ["--optimizer", "foo"], "foo" },
        { ["--schedule", "bogus"], "--schedule: Invalid learning-rate schedule 'bogus'" },
        { ["--schedule", "step:0:0.5"], "--schedule: Invalid learning-rate schedule 'step:0:0.5'" },
        { ["--dropout", "1.5"], "1.5" },
        { ["--dropout", "-0.1"], "-0.1" },
        { ["--lr", "-1"], "--lr: The learning rate must be a finite non-negative number, got -1" },
        { ["--momentum", "-0.5"], "--momentum: The momentum must be a finite non-negative number, got -0.5" },
        { ["--weight-decay", "-1"], "--weight-decay: The weight decay must be a finite non-negative number, got -1" },
        { ["--nesterov", "--momentum", "0"], "--nesterov: Nesterov momentum needs a momentum greater than 0" },
        { ["--checkpoint-every", "-1"], "--checkpoint-every" },
        { ["--shift", "-2"], "--shift" },
        { ["--epochs", "abc"], "abc" },
        { ["--arch", "resnet50"], "resnet50" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void InvalidOptionValues(string[] options, string expected)
    {
        Fails(w => Train(w, options), null, expected);
    }

    [Fact]
    public void InitAndResumeTogether()
    {
        Fails(w => Train(w, "--init", w.Out, "--resume", w.Out), null, "--init", "--resume");
    }

    [Fact]
    public void OutIntoMissingDirectory()
    {
        using var w = new Workspace(fixture);
        var r = CliRunner.Run(["train", "--arch", w.Arch, "--data", w.Data, "--epochs", "1", "--batch-size", "16", "--out", w.Dir.File("no/such/dir/m.safetensors")]);
        AssertOneLineError(r, "no/such/dir");
    }

    /// <summary>
    /// mnist-tf-bn's BatchNorm1d cannot train on a batch of one image: 64 training images in batches of 21 leave one,
    /// which used to end the first epoch with a shape error; now it is the batch size, named before any step.
    /// </summary>
    [Fact]
    public void BatchSizeLeavingOneImageForBatchNorm1d()
    {
        Fails(w => Train(w, "--arch", "mnist-tf-bn", "--batch-size", "21"), null,
            "error: --batch-size: 64 training images in batches of 21 leave a last batch of one image", "BatchNorm1d 'bn3'", "use a batch size of 22");
        Fails(w => Train(w, "--arch", "mnist-tf-bn", "--batch-size", "1"), null, "error: --batch-size: ", "use a batch size of at least 2");
    }

    /// <summary>An architecture ending in a conv: the model cannot classify; refused before training, not by the loss (a bug's "internal error").</summary>
    [Fact]
    public void ArchitectureWithoutOneScorePerClass()
    {
        Fails(w => Train(w, "--arch", w.Dir.File("maps.json")),
            w => File.WriteAllText(w.Dir.File("maps.json"), """{ "name": "maps", "input": [1, 28, 28], "layers": [ { "type": "conv2d", "out_channels": 10, "kernel": 3 } ] }"""),
            "error: Architecture 'maps' gives each image outputs of shape [10, 26, 26]", "one score per class");
    }

    /// <summary>
    /// A picture of another size and channels than the grey 28×28 model takes is no shape error: predict converts
    /// and resizes it, so no tensor of the wrong shape reaches the model.
    /// </summary>
    [Fact]
    public void PredictOnAColourPictureOfAnotherSize_IsConvertedNotAShapeError()
    {
        using var w = new Workspace(fixture);
        string png = w.Dir.File("photo.png");
        var rgb = new byte[40 * 30 * 3];
        new Random(1).NextBytes(rgb);
        File.WriteAllBytes(png, Png.Encode(40, 30, rgb: true, rgb));
        var r = CliRunner.Run(["predict", "--model", w.Out, png, "--format", "json"]);
        Assert.True(r.Code == 0, $"exit {r.Code}\n{r.Out}\n{r.Err}");
        Assert.DoesNotContain("error", r.Err); // warnings only (random pixels look unlike the training digits)
        Assert.Contains("\"probabilities\"", r.Out);
    }

    [Fact]
    public void EvalAndPredictBadOptions()
    {
        Fails(w => ["eval", "--model", w.Out, "--data", w.Data, "--batch-size", "0"], null, "--batch-size");
        Fails(w => ["predict", "--model", w.Out, Path.Combine(w.Data, "t10k-images-idx3-ubyte"), "--format", "xml"], null, "xml");
        Fails(w => ["summary"], null, "--model");
    }
}
