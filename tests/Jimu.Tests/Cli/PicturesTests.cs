using StbImageSharp;

namespace Jimu.Tests.Cli;

/// <summary>train --plot/--log and eval --plot: files a user can open, and PNGs that are pictures, not blanks.</summary>
public class PicturesTests(TrainedTinyModel fixture) : IClassFixture<TrainedTinyModel>
{
    [Fact]
    public void TrainPlotAndLog_WrittenForEveryEpoch()
    {
        using var dir = new TempDirectory();
        string png = dir.File("curves.png"), csv = dir.File("epochs.csv"), jsonl = dir.File("epochs.jsonl");
        var (code, output, err) = CliRunner.Run("train", "--arch", fixture.Arch, "--data", fixture.Data, "--epochs", "1", "--batch-size", "16",
            "--out", dir.File("m.safetensors"), "--plot", png, "--log", csv);
        Assert.True(code == 0, err + output);
        Assert.Contains(", 1 epoch, ", output); // not "1 epochs"
        PngCheck.AssertPicture(png, 800, 300);
        var lines = File.ReadAllLines(csv);
        Assert.Equal("epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_second", lines[0]);
        Assert.Equal(2, lines.Length);
        var fields = lines[1].Split(',');
        Assert.Equal("1", fields[0]);
        Assert.Equal("0.05", fields[1]);
        Assert.All(fields, f => double.Parse(f, System.Globalization.CultureInfo.InvariantCulture));

        (code, output, err) = CliRunner.Run("train", "--arch", fixture.Arch, "--data", fixture.Data, "--epochs", "2", "--batch-size", "16",
            "--out", dir.File("m.safetensors"), "--log", jsonl);
        Assert.True(code == 0, err + output);
        Assert.Contains(", 2 epochs, ", output);
        var records = File.ReadAllLines(jsonl).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal([1, 2], records.Select(r => r.GetProperty("epoch").GetInt32()));
        Assert.All(records, r => Assert.InRange(r.GetProperty("test_accuracy").GetDouble(), 0, 1));
        // Only the model, the log and the plot: no temporary file left behind.
        Assert.Equal(["curves.png", "epochs.csv", "epochs.jsonl", "m.safetensors"], dir.FileNames());
    }

    [Theory]
    [InlineData("--log", "epochs.txt", "must end in .csv or .jsonl")]
    [InlineData("--plot", "curves.jpg", "must end in .png")]
    [InlineData("--plot", "no-such-dir/curves.png", "does not exist")]
    public void TrainBadLogOrPlot_FailsBeforeTraining(string option, string file, string expected)
    {
        using var dir = new TempDirectory();
        var (code, output, err) = CliRunner.Run("train", "--arch", fixture.Arch, "--data", fixture.Data, "--epochs", "1",
            "--out", dir.File("m.safetensors"), option, dir.File(file));
        Assert.Equal(1, code);
        Assert.Contains(expected, err);
        Assert.DoesNotContain("epoch", output);
        Assert.Empty(dir.FileNames());
    }

    [Fact]
    public void EvalPlot_ConfusionHeatMap()
    {
        using var dir = new TempDirectory();
        string png = dir.File("confusion.png");
        var (code, _, err) = CliRunner.Run("eval", "--model", fixture.ModelPath, "--data", fixture.Data, "--plot", png);
        Assert.True(code == 0, err);
        PngCheck.AssertPicture(png, 600, 500);
    }

    [Fact]
    public void ProgressLine_ShowsTheMeanLossAndOneLabelledCountdown()
    {
        var line = Jimu.Cli.Commands.TrainCommand.ProgressLine(
            new Jimu.Training.TrainingProgress(2, 12, 10, 125, Loss: 0.02, MeanLoss: 0.25, ImagesPerSecond: 3000, Remaining: TimeSpan.FromSeconds(75)));
        Assert.Equal("epoch 2/12  mean loss 0.2500  3000 img/s  00:01:15 left in all", line);
    }
}

/// <summary>Checks on PNG files the CLI and the server write.</summary>
public static class PngCheck
{
    /// <summary>Decodes a PNG and checks its size and that it holds a picture: many colours, some dark, some light.</summary>
    public static void AssertPicture(string path, int minWidth, int minHeight)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(0x89, bytes[0]);
        var img = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlue);
        Assert.InRange(img.Width, minWidth, 4000);
        Assert.InRange(img.Height, minHeight, 4000);
        var colours = new HashSet<int>();
        int dark = 0, light = 0;
        for (int i = 0; i < img.Data.Length; i += 3)
        {
            int r = img.Data[i], g = img.Data[i + 1], b = img.Data[i + 2];
            colours.Add(r << 16 | g << 8 | b);
            int luma = (r + g + b) / 3;
            if (luma < 80) dark++;
            if (luma > 180) light++;
        }
        int n = img.Width * img.Height;
        Assert.True(colours.Count >= 16, $"{path}: only {colours.Count} colours");
        Assert.True(dark > n / 200 && light > n / 200, $"{path}: {dark} dark and {light} light pixels of {n}");
    }

}
