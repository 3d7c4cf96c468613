using Jimu.Cli;
using Jimu.Data;
using Jimu.Models;
using Jimu.Tensors;

namespace Jimu.Tests.Cli;

/// <summary>
/// "A model knows its data" in predict (CLI and library) and the recorded fingerprints in eval: what cannot be the
/// model's data is refused in one line before any work, what looks unlike it gets one warning line.
/// </summary>
public class ModelKnowsItsDataTests
{
    private static string TrainTiny(TempDirectory dir, string data, string arch)
    {
        string model = dir.File("m.safetensors");
        var r = CliRunner.Run("train", "--data", data, "--arch", arch, "--epochs", "1", "--batch-size", "16", "--out", model);
        Assert.True(r.Code == 0, r.Err);
        return model;
    }

    private static string Inverted(TempDirectory dir, string name, int size = 28)
    {
        string d = dir.File(name);
        TinyMnist.Write(d, size: size);
        string f = Path.Combine(d, "t10k-images-idx3-ubyte");
        var bytes = File.ReadAllBytes(f);
        for (int i = 16; i < bytes.Length; i++) bytes[i] = (byte)(255 - bytes[i]);
        File.WriteAllBytes(f, bytes);
        return f;
    }

    private static string[] Lines(string s) => s.TrimEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Predict_WarnsInOneLine_OnPixelsUnlikeTheTrainingData_AndOnIdxOfAnotherSize()
    {
        using var dir = new TempDirectory();
        string data = TinyModel.WriteData(dir.Path);
        string model = TrainTiny(dir, data, TinyModel.WriteArch(dir.Path));

        // Its own test images: no warning.
        var ok = CliRunner.Run("predict", "--model", model, Path.Combine(data, "t10k-images-idx3-ubyte"));
        Assert.True(ok.Code == 0, ok.Err);
        Assert.Equal("", ok.Err);
        Assert.Equal(32, Lines(ok.Out).Length);

        // The same digits inverted: one warning line (beside one note for the light backgrounds), and the predictions still come.
        var w = CliRunner.Run("predict", "--model", model, Inverted(dir, "inv"));
        Assert.Equal(0, w.Code);
        Assert.Equal(2, Lines(w.Err).Length);
        Assert.StartsWith("note: 32 of the 32 images (first ", w.Err);
        Assert.Single(Lines(w.Err), l => l.StartsWith("warning: ", StringComparison.Ordinal));
        Assert.Contains("do not look like the model's training data", w.Err);
        Assert.Equal(32, Lines(w.Out).Length);

        // IDX images of another size are resized, and said so.
        string big = dir.File("big");
        TinyMnist.Write(big, size: 32);
        var s = CliRunner.Run("predict", "--model", model, Path.Combine(big, "t10k-images-idx3-ubyte"));
        Assert.Equal(0, s.Code);
        Assert.Single(Lines(s.Err));
        Assert.Contains("IDX images of 32×32, but the model takes 28×28", s.Err);
    }

    [Fact]
    public void Predict_Classes_MustBeTheModelsClasses()
    {
        using var dir = new TempDirectory();
        string data = TinyModel.WriteData(dir.Path);
        File.WriteAllLines(Path.Combine(data, "classes.txt"), Enumerable.Range(0, 10).Select(i => $"n{i}"));
        string model = TrainTiny(dir, data, TinyModel.WriteArch(dir.Path));
        string input = Path.Combine(data, "t10k-images-idx3-ubyte");

        string other = dir.File("other.txt");
        File.WriteAllLines(other, Enumerable.Range(0, 10).Select(i => $"x{i}"));
        var bad = CliRunner.Run("predict", "--model", model, "--classes", other, input);
        Assert.Equal(1, bad.Code);
        Assert.Equal("", bad.Out);
        Assert.Single(Lines(bad.Err));
        Assert.Contains("x0", bad.Err);
        Assert.Contains("n0", bad.Err);

        string few = dir.File("few.txt");
        File.WriteAllLines(few, ["a", "b"]);
        var count = CliRunner.Run("predict", "--model", model, "--classes", few, input);
        Assert.Equal(1, count.Code);
        Assert.Contains("2 class name(s) but the model has 10 outputs", count.Err);

        var same = CliRunner.Run("predict", "--model", model, "--classes", Path.Combine(data, "classes.txt"), input);
        Assert.True(same.Code == 0, same.Err);
        Assert.Contains(": n", same.Out);
    }

    [Fact]
    public void Eval_WarnsWhenTheRecordedTestSplitHasChanged()
    {
        using var dir = new TempDirectory();
        string data = TinyModel.WriteData(dir.Path);
        string model = TrainTiny(dir, data, TinyModel.WriteArch(dir.Path));
        var same = CliRunner.Run("eval", "--model", model, "--json");
        Assert.True(same.Code == 0, same.Err);
        Assert.DoesNotContain("warning", same.Err);

        // Two test labels swapped: the same pictures, another test split than the one recorded.
        string labels = Path.Combine(data, "t10k-labels-idx1-ubyte");
        var bytes = File.ReadAllBytes(labels);
        (bytes[8], bytes[9]) = (bytes[9], bytes[8]);
        File.WriteAllBytes(labels, bytes);
        var changed = CliRunner.Run("eval", "--model", model, "--json");
        Assert.Equal(0, changed.Code);
        Assert.Single(Lines(changed.Err), l => l.StartsWith("warning: ", StringComparison.Ordinal));
        Assert.Contains("not the test split the model was trained beside", changed.Err);
    }

    [Fact]
    public void LibraryPredict_RefusesAnotherShape_BeforeAnyWork_AndCheckImagesWarns()
    {
        var model = Model.Create(TinyModel.Architecture);
        var e = Assert.Throws<ShapeException>(() => model.Predict(new Tensor(2, 1, 32, 32)));
        Assert.Equal(($"Model '{model.Architecture.Name}'", "images"), (e.Operation, e.Argument));
        Assert.Equal([ShapeException.Any, 1, 28, 28], e.Expected);
        Assert.Equal([2, 1, 32, 32], e.Actual);
        Assert.Equal("resize them to 28×28", e.Hint);
        Assert.Equal($"Model '{model.Architecture.Name}' expects images [*, 1, 28, 28] (1×28×28 images), got [2, 1, 32, 32]; resize them to 28×28.", e.Message);
        var channels = Assert.Throws<ShapeException>(() => DataCheck.CheckImages(model, new Tensor(2, 3, 28, 28), "x"));
        Assert.Equal(("x", "convert them to 1 channel(s)"), (channels.Argument, channels.Hint));
        var rank = Assert.Throws<ShapeException>(() => model.Predict(new Tensor(1, 28, 28)));
        Assert.Equal("give a batch [N, 1, 28, 28]", rank.Hint);

        var images = new Tensor(4, 1, 28, 28);
        images.Span.Fill(0.1f);
        Assert.Empty(DataCheck.CheckImages(model, images, "x")); // nothing recorded: nothing to compare but the range
        model.TrainedOn = new DataDescription { PixelMean = [0.1f], PixelStd = [0.3f] };
        Assert.Empty(DataCheck.CheckImages(model, images, "x"));
        images.Span.Fill(0.9f);
        Assert.Contains("do not look like the model's training data", Assert.Single(DataCheck.CheckImages(model, images, "x")));
        // Already normalised (or 0–255) pixels: the model normalises [0, 1] pixels itself.
        images.Span.Fill(-0.4f);
        Assert.Contains("pixels range from -0.4 to -0.4", Assert.Single(DataCheck.CheckImages(model, images, "x")));
        // One image gets a wider margin (√32 times): 0.3 from the mean is not enough for a warning, 0.8 is.
        var one = new Tensor(1, 1, 28, 28);
        one.Span.Fill(0.4f);
        Assert.Empty(DataCheck.CheckImages(model, one, "x"));
        one.Span.Fill(0.9f);
        Assert.Single(DataCheck.CheckImages(model, one, "x"));
    }

    [Fact]
    public void CheckClasses_UsesTheRecordedLabelSetFingerprint()
    {
        var model = Model.Create(TinyModel.Architecture);
        string[] named = [.. Enumerable.Range(0, 10).Select(i => $"n{i}")];
        string[] other = [.. Enumerable.Range(0, 10).Select(i => $"x{i}")];
        // Trained on named classes; the file lost its names but kept the fingerprint.
        model.TrainedOn = new DataDescription { ClassCount = 10, LabelSet = DataDescription.LabelSetFingerprint(named, 10) };
        DataCheck.CheckClasses(model, named, "names.txt");
        var e = Assert.Throws<DataMismatchException>(() => DataCheck.CheckClasses(model, other, "names.txt"));
        Assert.Contains(DataDescription.LabelSetFingerprint(named, 10), e.Message);
        Assert.Contains(DataDescription.LabelSetFingerprint(other, 10), e.Message);
        // Trained on unnamed classes ("0" … "9"): any ten names name its outputs.
        model.TrainedOn = new DataDescription { ClassCount = 10, LabelSet = DataDescription.LabelSetFingerprint(null, 10) };
        DataCheck.CheckClasses(model, other, "names.txt");
        Assert.Throws<DataMismatchException>(() => DataCheck.CheckClasses(model, [.. other, "extra"], "names.txt"));
    }

    [Fact]
    public void Predict_ColourModel_WarnsOnGreyPictures()
    {
        var model = Model.Create(Architecture.FromJson(TinyModel.ArchJson.Replace("\"input\": [1, 28, 28]", "\"input\": [3, 28, 28]"), "rgb.json"));
        model.TrainedOn = new DataDescription { SourceChannels = 3, Source = "/data/colour" };
        var colour = new ImageInput.Item("a.png", new float[3 * 28 * 28]) { Colour = true, SourceSize = (28, 28) };
        var grey = new ImageInput.Item("b.png", new float[3 * 28 * 28]) { Colour = false, SourceSize = (28, 28) };
        var batch = new Tensor(2, 3, 28, 28);
        Assert.Empty(ModelChecks.PredictWarnings(model, [colour, colour], batch));
        var w = Assert.Single(ModelChecks.PredictWarnings(model, [colour, grey], batch));
        Assert.Contains("b.png", w);
        Assert.Contains("trained on colour images (/data/colour)", w);
        model.TrainedOn = new DataDescription { SourceChannels = 1 };
        Assert.Contains("trained on grey images", Assert.Single(ModelChecks.PredictWarnings(model, [colour, grey], batch)));
    }
}
