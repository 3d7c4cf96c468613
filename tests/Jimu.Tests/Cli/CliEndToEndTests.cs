using System.Text.Json;
using Jimu.Models;

namespace Jimu.Tests.Cli;

/// <summary>Trains a tiny model once through `jimu train`, shared by the happy-path tests.</summary>
public sealed class TrainedTinyModel : IDisposable
{
    public TempDirectory Dir { get; } = new();
    public string Data { get; }
    public string Arch { get; }
    public string ModelPath { get; }
    public (int Code, string Out, string Err) TrainResult { get; }

    public TrainedTinyModel()
    {
        Data = TinyModel.WriteData(Dir.Path);
        Arch = TinyModel.WriteArch(Dir.Path);
        ModelPath = Dir.File("tiny.safetensors");
        TrainResult = CliRunner.Run("train", "--arch", Arch, "--data", Data, "--epochs", "2", "--batch-size", "16", "--out", ModelPath);
    }

    public void Dispose() => Dir.Dispose();
}

/// <summary>train → eval → predict → summary → train --resume, as a user runs them.</summary>
public class CliEndToEndTests(TrainedTinyModel fixture) : IClassFixture<TrainedTinyModel>
{
    private string ImagesFile => Path.Combine(fixture.Data, "t10k-images-idx3-ubyte");

    [Fact]
    public void Train_SavesModelAndReportsEpochs()
    {
        var (code, output, err) = fixture.TrainResult;
        Assert.True(code == 0, err + output);
        Assert.Equal("", err);
        Assert.True(File.Exists(fixture.ModelPath));
        Assert.Contains("epoch   1", output);
        Assert.Contains("epoch   2", output);
        Assert.Contains("test loss", output);
        Assert.Contains("Saved", output);
        var m = Model.Load(fixture.ModelPath);
        Assert.Equal("tiny", m.Architecture.Name);
        Assert.Equal(2, m.EpochsTrained);
        // Only the model and the inputs: no temporary file left behind.
        Assert.Equal(new[] { "tiny.json", "tiny.safetensors" }, fixture.Dir.FileNames());
    }

    [Fact]
    public void EvalJson_HasLossAccuracyCountPerClassAndConfusion()
    {
        var (code, output, err) = CliRunner.Run("eval", "--model", fixture.ModelPath, "--data", fixture.Data, "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        double loss = root.GetProperty("loss").GetDouble();
        double accuracy = root.GetProperty("accuracy").GetDouble();
        int count = root.GetProperty("count").GetInt32();
        Assert.True(double.IsFinite(loss) && loss >= 0);
        Assert.InRange(accuracy, 0, 1);
        Assert.Equal(32, count);
        var perClass = root.GetProperty("per_class");
        Assert.Equal(JsonValueKind.Array, perClass.ValueKind);
        Assert.Equal(10, perClass.GetArrayLength());
        foreach (var c in perClass.EnumerateArray())
        {
            Assert.InRange(c.GetProperty("precision").GetDouble(), 0, 1);
            Assert.InRange(c.GetProperty("recall").GetDouble(), 0, 1);
            Assert.True(c.TryGetProperty("class", out _));
        }
        Assert.Equal(count, perClass.EnumerateArray().Sum(c => c.GetProperty("support").GetInt32()));
        var confusion = root.GetProperty("confusion");
        Assert.Equal(10, confusion.GetArrayLength());
        int total = 0, diagonal = 0, t = 0;
        foreach (var row in confusion.EnumerateArray())
        {
            Assert.Equal(10, row.GetArrayLength());
            var values = row.EnumerateArray().Select(v => v.GetInt32()).ToArray();
            total += values.Sum();
            diagonal += values[t++];
        }
        Assert.Equal(count, total);
        Assert.Equal(accuracy, (double)diagonal / count, 9);
    }

    [Fact]
    public void EvalText_PrintsAccuracy()
    {
        var (code, output, err) = CliRunner.Run("eval", "--model", fixture.ModelPath, "--data", fixture.Data);
        Assert.True(code == 0, err);
        Assert.Contains("accuracy", output);
        Assert.Contains("%", output);
        Assert.Contains("confusion", output);
    }

    [Fact]
    public void PredictJson_OneObjectPerImage()
    {
        var (code, output, err) = CliRunner.Run("predict", "--model", fixture.ModelPath, ImagesFile, "--format", "json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        var items = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(32, items.Length);
        for (int i = 0; i < items.Length; i++)
        {
            var p = items[i];
            Assert.Equal($"{ImagesFile}#{i}", p.GetProperty("input").GetString());
            Assert.Equal(i, p.GetProperty("index").GetInt32());
            int cls = p.GetProperty("class").GetInt32();
            Assert.InRange(cls, 0, 9);
            var probs = p.GetProperty("probabilities").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var logits = p.GetProperty("logits").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(10, probs.Length);
            Assert.Equal(10, logits.Length);
            Assert.Equal(1.0, probs.Sum(), 5);
            Assert.Equal(probs.Max(), p.GetProperty("probability").GetDouble(), 6);
            Assert.Equal(Array.IndexOf(probs, probs.Max()), cls);
            Assert.Equal(Array.IndexOf(logits, logits.Max()), cls);
        }
    }

    [Fact]
    public void PredictCsvAndText_OneLinePerImage()
    {
        var (code, output, err) = CliRunner.Run("predict", "--model", fixture.ModelPath, ImagesFile, "--format", "csv");
        Assert.True(code == 0, err);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal(33, lines.Length);
        var header = lines[0].Split(',');
        Assert.Equal(new[] { "input", "index", "class", "probability", "logit_0" }, header[..5]);
        Assert.Equal(4 + 20, header.Length);
        Assert.All(lines[1..], l => Assert.Equal(24, l.Split(',').Length));
        Assert.StartsWith($"{ImagesFile}#0,0,", lines[1]);

        (code, output, err) = CliRunner.Run("predict", "--model", fixture.ModelPath, ImagesFile);
        Assert.True(code == 0, err);
        lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(32, lines.Length);
        Assert.All(lines, l => Assert.Matches(@"#\d+: \d \(\d+\.\d\d%\)", l));
    }

    [Fact]
    public void PredictPng_GreyAndRgbWithResize()
    {
        // A grey 28×28 digit-like image: one bright row on a dark background, as TinyMnist draws class 5.
        var grey = new byte[28 * 28];
        for (int x = 0; x < 28; x++) grey[(2 + 5 * 24 / 10) * 28 + x] = 255;
        string greyPath = fixture.Dir.File("grey.png");
        File.WriteAllBytes(greyPath, Png.Encode(28, 28, rgb: false, grey));
        // An RGB 56×40 image (resized to 28×28).
        var rgb = new byte[56 * 40 * 3];
        var rng = new Random(1);
        rng.NextBytes(rgb);
        string rgbPath = fixture.Dir.File("colour.png");
        File.WriteAllBytes(rgbPath, Png.Encode(56, 40, rgb: true, rgb));
        try
        {
            var (code, output, err) = CliRunner.Run("predict", "--model", fixture.ModelPath, greyPath, rgbPath, "--format", "json");
            Assert.True(code == 0, err);
            using var doc = JsonDocument.Parse(output);
            var items = doc.RootElement.EnumerateArray().ToArray();
            Assert.Equal(2, items.Length);
            Assert.Equal(greyPath, items[0].GetProperty("input").GetString());
            Assert.Equal(rgbPath, items[1].GetProperty("input").GetString());
            Assert.All(items, p => Assert.Equal(1.0, p.GetProperty("probabilities").EnumerateArray().Sum(v => v.GetDouble()), 5));

            (code, output, err) = CliRunner.Run("predict", "--model", fixture.ModelPath, greyPath, "--invert");
            Assert.True(code == 0, err);
            Assert.StartsWith($"{greyPath}: ", output);
        }
        finally { File.Delete(greyPath); File.Delete(rgbPath); }
    }

    [Fact]
    public void PngEncoder_DecodesToTheSamePixels()
    {
        var grey = new byte[28 * 28];
        new Random(2).NextBytes(grey);
        var img = StbImageSharp.ImageResult.FromMemory(Png.Encode(28, 28, false, grey), StbImageSharp.ColorComponents.Grey);
        Assert.Equal(grey, img.Data);
    }

    [Fact]
    public void Summary_ArchAndModel()
    {
        var (code, output, err) = CliRunner.Run("summary", "--arch", "mnist-tf");
        Assert.True(code == 0, err);
        Assert.Contains("1,663,370", output);
        Assert.Contains("conv1", output);
        Assert.Contains("fc2", output);

        (code, output, err) = CliRunner.Run("summary", "--model", fixture.ModelPath);
        Assert.True(code == 0, err);
        Assert.Contains("conv1", output);
        Assert.Contains("fc1", output);
        long total = TinyModel.Architecture.Build().ParameterCount;
        Assert.Contains(total.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), output);

        (code, output, err) = CliRunner.Run("summary", "--arch", fixture.Arch);
        Assert.True(code == 0, err);
        Assert.Contains("tiny", output);
    }

    [Fact]
    public void TrainResume_ContinuesToTheTotalEpochs()
    {
        string copy = fixture.Dir.File("resume.safetensors");
        File.Copy(fixture.ModelPath, copy);
        try
        {
            var (code, output, err) = CliRunner.Run("train", "--resume", copy, "--data", fixture.Data, "--epochs", "3", "--batch-size", "16");
            Assert.True(code == 0, err + output);
            Assert.Contains("epoch   3", output);
            Assert.DoesNotContain("epoch   1 ", output);
            Assert.DoesNotContain("epoch   2 ", output);
            Assert.Equal(3, Model.Load(copy).EpochsTrained);
        }
        finally { File.Delete(copy); }
    }

    [Fact]
    public void TrainInit_StartsFromSavedWeights()
    {
        string outPath = fixture.Dir.File("init.safetensors");
        try
        {
            var (code, output, err) = CliRunner.Run("train", "--arch", fixture.Arch, "--init", fixture.ModelPath, "--data", fixture.Data,
                "--epochs", "1", "--batch-size", "16", "--out", outPath);
            Assert.True(code == 0, err + output);
            Assert.Contains("epoch   1", output);
            Assert.Equal(1, Model.Load(outPath).EpochsTrained);
        }
        finally { File.Delete(outPath); }
    }

    [Theory]
    [InlineData("train")]
    [InlineData("eval")]
    [InlineData("predict")]
    [InlineData("summary")]
    [InlineData("bench")]
    public void Help_ExitsZero(string command)
    {
        var (code, output, _) = CliRunner.Run(command, "--help");
        Assert.Equal(0, code);
        Assert.Contains("Usage", output);
    }

    [Fact]
    public void Bench_model_takes_several_architectures_and_checks_every_name_first()
    {
        // An unknown name after a good one fails before anything is measured.
        var (bad, _, badErr) = CliRunner.Run("bench", "model", "--arch", "lenet5,no-such-net");
        Assert.NotEqual(0, bad);
        Assert.Contains("no-such-net", badErr);

        var (code, output, err) = CliRunner.Run("bench", "model", "--arch", "lenet5, vgg3", "--repeats", "1", "--steps", "1", "--json");
        Assert.True(code == 0, err + output);
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        var results = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(["lenet5", "vgg3"], results.Select(r => r.GetProperty("arch").GetString()));
        foreach (var r in results)
        {
            Assert.True(r.GetProperty("train_images_per_s").GetDouble() > 0);
            Assert.True(r.GetProperty("predict_latency_ms_batch1").GetDouble() > 0);
            Assert.InRange(r.GetProperty("predict_batch1_inline_share").GetDouble(), 0, 1);
            Assert.True(r.GetProperty("predict_batch1_sharing_changes").GetInt32() >= 0);
            double ns = r.GetProperty("core_round_trip_ns").GetDouble();
            Assert.True(ns == -1 || ns > 0, $"{ns}");
        }

        var (suite, help, _) = CliRunner.Run("bench", "suite", "--help");
        Assert.Equal(0, suite);
        foreach (var name in BuiltIns.Suite) Assert.Contains(name, help);
    }
    [Fact]
    public void Bench_model_with_data_trains_from_it_through_train_s_loop_in_turns_with_the_synthetic_steps()
    {
        using var dir = new TempDirectory();
        string idx = TinyModel.WriteData(dir.Path), folder = dir.File("images");
        var w = CliRunner.Run("write-images", "--data", idx, "--out", folder, "--format", "png");
        Assert.True(w.Code == 0, w.Err);
        var (code, output, err) = CliRunner.Run("bench", "model", "--arch", TinyModel.WriteArch(dir.Path), "--data", folder,
            "--repeats", "2", "--steps", "2", "--shift", "1", "--normalize-auto", "--json");
        Assert.True(code == 0, err + output);
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        var r = doc.RootElement;
        Assert.True(r.GetProperty("data_train_images_per_s").GetDouble() > 0);
        double share = r.GetProperty("data_percent_of_synthetic").GetDouble();
        Assert.True(share > 0 && double.IsFinite(share), $"share {share}");
        Assert.True(r.GetProperty("data_decode_seconds").GetDouble() >= 0);
        Assert.Contains("image folder", r.GetProperty("data").GetString());

        // A data set the network cannot take is refused before anything is measured.
        var bad = CliRunner.Run("bench", "model", "--arch", "lenet5", "--data", dir.File("no-such-folder"), "--repeats", "1", "--steps", "1");
        Assert.NotEqual(0, bad.Code);
        Assert.Contains("no-such-folder", bad.Err);
    }
}
