using Jimu.Models;

namespace Jimu.Tests.Models;

/// <summary>JSON architectures build with PyTorch-style parameter names; mistakes are errors naming the layer.</summary>
public class ArchitectureJsonTests
{
    private static (string Name, int[] Shape)[] Params(Architecture a) =>
        a.Build().Parameters.Select(p => (p.Name, p.Parameter.Value.Shape.ToArray())).ToArray();

    [Fact]
    public void SmallCnnExample_Builds()
    {
        var a = Architecture.Resolve(Path.Combine(RepoPaths.Root, "examples", "small-cnn.json"));
        Assert.Equal("small-cnn", a.Name);
        var p = Params(a);
        Assert.Equal(new[] { "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias" }, p.Select(x => x.Name));
        Assert.Equal(new[] { 8, 1, 3, 3 }, p[0].Shape);
        Assert.Equal(new[] { 8 }, p[1].Shape);
        Assert.Equal(new[] { 16, 8, 3, 3 }, p[2].Shape);
        Assert.Equal(new[] { 64, 16 * 7 * 7 }, p[4].Shape);
        Assert.Equal(new[] { 10, 64 }, p[6].Shape);
        Assert.Equal(new[] { 10 }, a.Build().OutputShape);
    }

    [Fact]
    public void MnistTf_ParametersAsInReadme()
    {
        var p = Params(Architecture.Resolve("mnist-tf"));
        Assert.Equal(new (string, int[])[]
        {
            ("conv1.weight", [32, 1, 5, 5]), ("conv1.bias", [32]), ("conv2.weight", [64, 32, 5, 5]), ("conv2.bias", [64]),
            ("fc1.weight", [512, 3136]), ("fc1.bias", [512]), ("fc2.weight", [10, 512]), ("fc2.bias", [10]),
        }.Select(x => x.Item1 + Jimu.Tensors.Tensor.Format(x.Item2)), p.Select(x => x.Name + Jimu.Tensors.Tensor.Format(x.Shape)));
        Assert.Equal(1_663_370, BuiltIns.MnistTf.Build().ParameterCount);
    }

    [Fact]
    public void Lenet5_ParametersAsInReadme()
    {
        var p = Params(Architecture.Resolve("lenet5"));
        Assert.Equal(new (string, int[])[]
        {
            ("conv1.weight", [6, 1, 5, 5]), ("conv1.bias", [6]), ("conv2.weight", [16, 6, 5, 5]), ("conv2.bias", [16]),
            ("fc1.weight", [120, 400]), ("fc1.bias", [120]), ("fc2.weight", [84, 120]), ("fc2.bias", [84]),
            ("fc3.weight", [10, 84]), ("fc3.bias", [10]),
        }.Select(x => x.Item1 + Jimu.Tensors.Tensor.Format(x.Item2)), p.Select(x => x.Name + Jimu.Tensors.Tensor.Format(x.Shape)));
    }

    [Fact]
    public void UnnamedLayers_GetNumberedNames()
    {
        var a = Architecture.FromJson("""
            { "input": [1, 8, 8], "layers": [
              { "type": "conv2d", "out_channels": 2, "kernel": 3 }, { "type": "relu" },
              { "type": "conv2d", "out_channels": 2, "kernel": 3 }, { "type": "maxpool2d", "kernel": 2 },
              { "type": "flatten" }, { "type": "linear", "out_features": 5 }, { "type": "linear", "out_features": 3 } ] }
            """);
        var net = a.Build();
        Assert.Equal(new[] { "conv1", "relu1", "conv2", "pool1", "flatten1", "fc1", "fc2" }, net.Layers.Select(l => l.Name));
        Assert.Equal(new[] { "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias" },
            net.Parameters.Select(p => p.Name));
    }

    [Theory]
    [InlineData(null, Jimu.Layers.ConvAlgorithm.Auto)]
    [InlineData("\"auto\"", Jimu.Layers.ConvAlgorithm.Auto)]
    [InlineData("\"Winograd\"", Jimu.Layers.ConvAlgorithm.Winograd)]
    [InlineData("\"vectorized\"", Jimu.Layers.ConvAlgorithm.Vectorized)]
    [InlineData("\"im2col\"", Jimu.Layers.ConvAlgorithm.Im2Col)]
    [InlineData("\"direct\"", Jimu.Layers.ConvAlgorithm.Direct)]
    public void ConvAlgorithm_IsReadFromJson(string? algorithm, Jimu.Layers.ConvAlgorithm expected)
    {
        string field = algorithm is null ? "" : $", \"algorithm\": {algorithm}";
        var net = Architecture.FromJson($$"""{ "input": [4, 8, 8], "layers": [ { "type": "conv2d", "out_channels": 2, "kernel": 5{{field}} } ] }""").Build();
        Assert.Equal(expected, ((Jimu.Layers.Conv2D)net.Layers[0]).Algorithm);
    }

    public static TheoryData<string, string[]> BadArchitectures => new()
    {
        { """{ "input": [1, 8, 8], "layers": [ { "type": "conv2d", "out_channels": 2, "kernel": 5, "algorithm": "fft" } ] }""", ["fft", "direct, im2col, winograd, auto, vectorized or strided"] },
        { """{ "input": [1, 28, 28], "layers": [ { "type": "conv3d", "out_channels": 2, "kernel": 3 } ] }""", ["layer 1", "conv3d", "unknown layer type"] },
        { """{ "input": [1, 28, 28], "layers": [ { "type": "relu" }, { "type": "conv2d", "kernel": 3 } ] }""", ["layer 2", "conv2d", "out_channels"] },
        { """{ "input": [1, 28, 28], "layers": [ { "type": "conv2d", "out_channels": 2, "kernel": 3 }, { "type": "linear", "out_features": 10 } ] }""", ["layer 2", "linear", "flatten"] },
        { """{ "input": [1, 4, 4], "layers": [ { "type": "conv2d", "name": "big", "out_channels": 2, "kernel": 5 } ] }""", ["layer 1", "conv2d"] },
        { """{ "input": [1, 4, 4], "layers": [ { "type": "maxpool2d", "kernel": 6 } ] }""", ["layer 1", "maxpool2d"] },
        { """{ "input": [1, 28, 28], "layers": [ { "type": "flatten" }, { "type": "linear" } ] }""", ["layer 2", "out_features"] },
    };

    [Theory]
    [MemberData(nameof(BadArchitectures))]
    public void BadLayers_AreErrorsNamingTheLayer(string json, string[] expected)
    {
        // Some are found when the JSON is read, the others when the layers are built: either way the error names the layer.
        var e = Assert.ThrowsAny<JimuException>(() => Architecture.FromJson(json, "bad.json").Build());
        foreach (var s in expected) Assert.Contains(s, e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void UnknownField_IsAnError()
    {
        var e = Assert.ThrowsAny<JimuException>(() => Architecture.FromJson("""{ "input": [1, 28, 28], "layers": [ { "type": "relu", "bogus": 1 } ] }""", "bad.json"));
        Assert.Contains("bad.json", e.Message);
    }

    [Fact]
    public void UnknownArchitectureName_IsAnError()
    {
        var e = Assert.ThrowsAny<JimuException>(() => Architecture.Resolve("resnet50"));
        Assert.Contains("mnist-tf", e.Message);
        var e2 = Assert.ThrowsAny<JimuException>(() => Architecture.Resolve("/nonexistent/arch.json"));
        Assert.Contains("/nonexistent/arch.json", e2.Message);
    }
}
