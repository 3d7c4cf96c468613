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
    [InlineData("epochs.csv")]
    [InlineData("epochs.jsonl")]
    public void TrainResume_KeepsTheEarlierEpochsInTheLog(string name)
    {
        using var dir = new TempDirectory();
        string model = dir.File("m.safetensors"), log = dir.File(name), png = dir.File("curves.png");
        var (code, output, err) = CliRunner.Run("train", "--arch", fixture.Arch, "--data", fixture.Data, "--epochs", "2", "--batch-size", "16", "--out", model, "--log", log);
        Assert.True(code == 0, err + output);
        var first = Jimu.Cli.EpochLog.Read(log);
        (code, output, err) = CliRunner.Run("train", "--resume", model, "--data", fixture.Data, "--epochs", "3", "--batch-size", "16", "--log", log, "--plot", png);
        Assert.True(code == 0, err + output);
        var all = Jimu.Cli.EpochLog.Read(log);
        Assert.Equal([1, 2, 3], all.Select(e => e.Epoch));
        Assert.Equal(first, all.Take(2)); // the first run's rows, read back unchanged
        PngCheck.AssertPicture(png, 800, 300);

        File.WriteAllText(log, "not a log\n");
        (code, _, err) = CliRunner.Run("train", "--resume", model, "--data", fixture.Data, "--epochs", "4", "--log", log);
        Assert.Equal(1, code);
        Assert.Contains("not", err);
        Assert.Contains("jimu epoch log", err);
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

/// <summary>jimu inspect and the grids of small images it draws.</summary>
public sealed class InspectPicturesTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Inspect_DrawsFiltersInputAndEveryConvolution()
    {
        string seven = _dir.File("seven.png"), output = _dir.File("pictures");
        File.WriteAllBytes(seven, Png.Encode(200, 240, rgb: false, DrawnDigits.Render(DrawnDigits.Seven)));
        var (code, stdout, err) = CliRunner.Run("inspect", "--model", DigitModel.Path, seven, "--preprocess", "mnist", "--out", output);
        Assert.True(code == 0, err);
        Assert.StartsWith($"{seven}: 7 (", stdout);
        string[] files = ["conv1-filters.png", "input.png", "conv1-maps.png", "conv2-maps.png"];
        Assert.Equal(files.Order(StringComparer.Ordinal), Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var f in files) PngCheck.AssertPicture(Path.Combine(output, f), 200, 200);

        // Without an image: the filters only.
        string filtersOnly = _dir.File("filters");
        (code, _, err) = CliRunner.Run("inspect", "--model", DigitModel.Path, "--out", filtersOnly);
        Assert.True(code == 0, err);
        Assert.Equal(["conv1-filters.png"], Directory.GetFiles(filtersOnly).Select(Path.GetFileName));
    }

    [Fact]
    public void Grid_DrawsRowZeroAtTheTop()
    {
        // One 4×4 image: two grey rows on top, two black rows below.
        string png = _dir.File("grid.png");
        Jimu.Cli.Plots.Grid([[0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0, 0, 0, 0, 0, 0, 0, 0]], 4, 4, ["x"], "orientation", png, unitRange: true);
        var img = ImageResult.FromMemory(File.ReadAllBytes(png), ColorComponents.Grey);
        int Luma(int x, int y) => img.Data[y * img.Width + x];
        // Below the title (top 40 pixels), the column through the middle of the tile: the columns with the most
        // black pixels are the tile's.
        var rows = Enumerable.Range(40, img.Height - 40).ToArray();
        var blacks = Enumerable.Range(0, img.Width).Select(x => rows.Count(y => Luma(x, y) < 30)).ToArray();
        var tile = Enumerable.Range(0, img.Width).Where(x => blacks[x] == blacks.Max()).ToArray();
        int column = tile[tile.Length / 2];
        int firstBlack = rows.First(y => Luma(column, y) < 30);
        int lastBlack = rows.Last(y => Luma(column, y) < 30);
        Assert.True(lastBlack - firstBlack > 20, "the black half of the tile is missing");
        Assert.InRange(Luma(column, firstBlack - 3), 100, 160); // grey right above the black: row 0 on top
        Assert.True(Luma(column, lastBlack + 3) > 200, "below the black half there should be the white background");
    }
}
