namespace Jimu.Tests.Cli;

/// <summary>Per-architecture defaults of `jimu train`: bn-cnn starts at lr 0.1 unless --lr says otherwise.</summary>
public class DefaultRecipeTests
{
    [Fact]
    public void BnCnn_DefaultsToLr01_AndAnExplicitLrWins()
    {
        using var dir = new TempDirectory();
        string data = TinyModel.WriteData(dir.Path);
        var a = CliRunner.Run("train", "--arch", "bn-cnn", "--data", data, "--epochs", "1", "--out", dir.File("a.safetensors"));
        Assert.True(a.Code == 0, a.Err);
        Assert.Contains("sgd lr 0.1 (cosine)", a.Out);
        var b = CliRunner.Run("train", "--arch", "bn-cnn", "--data", data, "--epochs", "1", "--lr", "0.05", "--out", dir.File("b.safetensors"));
        Assert.True(b.Code == 0, b.Err);
        Assert.Contains("sgd lr 0.05 (cosine)", b.Out);
        var c = CliRunner.Run("train", "--arch", TinyModel.WriteArch(dir.Path), "--data", data, "--epochs", "1", "--out", dir.File("c.safetensors"));
        Assert.True(c.Code == 0, c.Err);
        Assert.Contains("sgd lr 0.05 (cosine)", c.Out);
    }
}
