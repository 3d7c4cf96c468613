using Jimu.Models;

namespace Jimu.Onnx.Tests;

/// <summary>The networks every exporter test runs: the built-ins and JSON networks covering the other layers.</summary>
public static class TestNetworks
{
    /// <summary>TensorFlow "same" padding that is asymmetric (even kernels, stride 2 on odd sizes) and average pooling with padding.</summary>
    public const string AsymmetricJson = """
        {
          "name": "asym-same-avg",
          "input": [3, 15, 13],
          "layers": [
            { "type": "conv2d", "name": "stem", "out_channels": 6, "kernel": 4, "stride": 2, "padding": "same" },
            { "type": "relu" },
            { "type": "avgpool2d", "kernel": 3, "stride": 2, "padding": 1 },
            { "type": "conv2d", "out_channels": 8, "kernel": [2, 3], "padding": "same", "bias": false },
            { "type": "relu" },
            { "type": "maxpool2d", "kernel": 3, "stride": 1, "padding": [1, 1, 0, 1] },
            { "type": "conv2d", "out_channels": 8, "kernel": 3, "padding": [0, 2, 1, 0], "algorithm": "direct" },
            { "type": "flatten" },
            { "type": "linear", "out_features": 16 },
            { "type": "relu" },
            { "type": "dropout", "p": 0.3 },
            { "type": "linear", "out_features": 5, "bias": false }
          ]
        }
        """;

    public static IEnumerable<string> Names => ["mnist-tf", "lenet5", "asym-same-avg"];

    public static Architecture Get(string name) => name switch
    {
        "asym-same-avg" => Architecture.FromJson(AsymmetricJson, "asym-same-avg.json"),
        _ => BuiltIns.TryGet(name) ?? throw new ArgumentException(name),
    };

    /// <summary>A model with PyTorch's default initialisation, biases spread so that logits differ clearly.</summary>
    public static Model Create(string name, int seed = 7) => Model.Create(Get(name), seed);

    public static int InputCount(Model model, int batch) => batch * model.Network.InputShape.Aggregate(1, (p, d) => p * d);
}
