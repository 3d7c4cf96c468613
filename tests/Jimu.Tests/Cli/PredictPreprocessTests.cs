using System.Text.Json;

namespace Jimu.Tests.Cli;

/// <summary>predict on digits drawn dark on white: the hint, --preprocess mnist and --top.</summary>
public sealed class PredictPreprocessTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string name, (double X, double Y)[][] strokes)
    {
        string path = _dir.File(name);
        File.WriteAllBytes(path, Png.Encode(200, 240, rgb: false, DrawnDigits.Render(strokes)));
        return path;
    }

    [Fact]
    public void PreprocessMnist_ReadsDigitsDrawnDarkOnWhite()
    {
        string seven = Write("seven.png", DrawnDigits.Seven), three = Write("three.png", DrawnDigits.Three);
        var (code, output, err) = CliRunner.Run("predict", "--model", DigitModel.Path, seven, three, "--preprocess", "mnist", "--format", "json", "--top", "3");
        Assert.True(code == 0, err);
        Assert.Contains($"note: {seven}: light background: inverted", err);
        using var doc = JsonDocument.Parse(output);
        var items = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(7, items[0].GetProperty("class_index").GetInt32());
        Assert.Equal(3, items[1].GetProperty("class_index").GetInt32());
        foreach (var item in items)
        {
            var top = item.GetProperty("top").EnumerateArray().ToArray();
            Assert.Equal(3, top.Length);
            Assert.Equal(item.GetProperty("class_index").GetInt32(), top[0].GetProperty("class").GetInt32());
            var p = top.Select(t => t.GetProperty("probability").GetSingle()).ToArray();
            Assert.True(p[0] >= p[1] && p[1] >= p[2]);
        }
    }

    [Fact]
    public void LightBackgroundWithoutPreprocessing_GetsAHint()
    {
        string seven = Write("seven.png", DrawnDigits.Seven);
        var (code, output, err) = CliRunner.Run("predict", "--model", DigitModel.Path, seven, "--top", "2");
        Assert.True(code == 0, err);
        Assert.Contains("looks like dark ink on a light background", err);
        Assert.Contains("--preprocess mnist", err);
        Assert.Matches(@"^.*seven\.png: \d \(\d+\.\d\d%\), \d \(\d+\.\d\d%\)\r?\n$", output);

        (code, _, err) = CliRunner.Run("predict", "--model", DigitModel.Path, seven, "--invert");
        Assert.True(code == 0, err);
        Assert.DoesNotContain("note:", err);
    }

    [Theory]
    [InlineData("--top", "0", "--top must be at least 1")]
    [InlineData("--preprocess", "fancy", "fancy")]
    [InlineData("--invert", "--preprocess", "cannot be used together")]
    public void BadOptions_OneLineError(string option, string value, string expected)
    {
        string seven = Write("seven.png", DrawnDigits.Seven);
        string[] args = option == "--invert"
            ? ["predict", "--model", DigitModel.Path, seven, "--invert", "--preprocess", "mnist"]
            : ["predict", "--model", DigitModel.Path, seven, option, value];
        var (code, _, err) = CliRunner.Run(args);
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", err);
        Assert.Contains(expected, err);
    }
}
