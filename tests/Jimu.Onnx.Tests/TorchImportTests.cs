using System.Text.Json;
using Jimu.Models;
using Jimu.Tensors;

namespace Jimu.Onnx.Tests;

/// <summary>Models written by PyTorch 1.13's torch.onnx.export (tools/make_onnx_fixtures.py) import and give PyTorch's logits.</summary>
public class TorchImportTests
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    /// <summary>The fixture's input batch and PyTorch's logits for it.</summary>
    public static (Tensor Input, float[] Logits) Expected(string name)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Fixture(name + ".json")));
        var shape = json.RootElement.GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var input = json.RootElement.GetProperty("input").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var logits = json.RootElement.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        return (new Tensor(input, shape), logits);
    }

    [Theory]
    [InlineData("torch-cnn", "conv2d relu maxpool2d conv2d relu avgpool2d flatten linear relu linear")]
    [InlineData("torch-cnn-bn", "conv2d batchnorm2d relu maxpool2d conv2d batchnorm2d relu avgpool2d flatten linear relu linear")]
    [InlineData("torch-matmul", "conv2d tanh flatten linear sigmoid linear")]
    public void ImportsAndPredictsPyTorchsLogits(string name, string layers)
    {
        var model = Model.LoadOnnx(Fixture(name + ".onnx"));
        Assert.Equal(layers, string.Join(" ", model.Architecture.Layers.Select(l => l.Type)));
        var (input, logits) = Expected(name);
        var jimu = model.Predict(input).SelectMany(p => p.Logits).ToArray();
        Agreement.Logits(logits, jimu, input.Dim(0));
    }

    [Fact]
    public void ZeroPadBeforeAveragePoolBecomesThePoolsPadding()
    {
        var model = Model.LoadOnnx(Fixture("torch-cnn.onnx"));
        var pool = (LayerSpec.AvgPool2d)model.Architecture.Layers.Single(l => l.Type == "avgpool2d");
        Assert.Equal("1", pool.Padding.ToString());
    }

    [Fact]
    public void UnsupportedOperatorInTheMiddleIsAOneLineErrorNamingIt()
    {
        var e = Assert.ThrowsAny<JimuException>(() => Model.LoadOnnx(Fixture("torch-softmax.onnx")));
        Assert.Contains("(Softmax)", e.Message);
        Assert.Contains("not supported", e.Message);
        Assert.Contains("Jimu imports Conv", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ServerLoadsAnOnnxModel()
    {
        var server = new Jimu.Cli.Serve.JimuServer(new Jimu.Cli.Serve.ServerOptions { ModelPath = Fixture("torch-cnn.onnx") });
        Assert.Equal([1, 12, 12], server.Model.Network.InputShape);
        var (input, logits) = Expected("torch-cnn");
        Agreement.Logits(logits, server.Model.Predict(input).SelectMany(p => p.Logits).ToArray(), input.Dim(0));
    }

    [Fact]
    public void CliPredictsFromAnOnnxFileAndExportsItAsAJimuModel()
    {
        using var dir = new TempDirectory();
        string jimuFile = dir.File("cnn.safetensors");
        var (code, output, error) = CliRunner.Run("export", "--model", Fixture("torch-cnn.onnx"), "--format", "safetensors", "--out", jimuFile);
        Assert.True(code == 0, error);
        Assert.Contains("wrote", output);
        var (input, _) = Expected("torch-cnn");
        var fromOnnx = Model.LoadOnnx(Fixture("torch-cnn.onnx")).Predict(input).SelectMany(p => p.Logits);
        var fromJimu = Model.Load(jimuFile).Predict(input).SelectMany(p => p.Logits);
        Assert.Equal(fromOnnx, fromJimu);
    }
}
