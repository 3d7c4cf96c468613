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

    /// <summary>BatchNorm after convolutions and after a linear layer, every activation, global average pooling.</summary>
    public const string BatchNormJson = """
        {
          "name": "bn-net",
          "input": [3, 16, 16],
          "layers": [
            { "type": "conv2d", "out_channels": 8, "kernel": 3, "padding": 1, "bias": false },
            { "type": "batchnorm2d" },
            { "type": "relu" },
            { "type": "maxpool2d", "kernel": 2 },
            { "type": "conv2d", "out_channels": 12, "kernel": 3, "padding": "same" },
            { "type": "batchnorm2d", "eps": 0.001 },
            { "type": "leakyrelu", "negative_slope": 0.2 },
            { "type": "conv2d", "out_channels": 16, "kernel": 3, "stride": 2 },
            { "type": "tanh" },
            { "type": "globalavgpool2d" },
            { "type": "linear", "out_features": 24 },
            { "type": "batchnorm1d" },
            { "type": "sigmoid" },
            { "type": "dropout", "p": 0.2 },
            { "type": "linear", "out_features": 7 }
          ]
        }
        """;

    public static IEnumerable<string> Names => ["mnist-tf", "lenet5", "asym-same-avg", "bn-net"];

    public static Architecture Get(string name) => name switch
    {
        "asym-same-avg" => Architecture.FromJson(AsymmetricJson, "asym-same-avg.json"),
        "bn-net" => Architecture.FromJson(BatchNormJson, "bn-net.json"),
        _ => BuiltIns.TryGet(name) ?? throw new ArgumentException(name),
    };

    /// <summary>A model with PyTorch's default initialisation, biases spread so that logits differ clearly.</summary>
    public static Model Create(string name, int seed = 7)
    {
        var model = Model.Create(Get(name), seed);
        if (name == "bn-net")
        {
            // Trained-looking BatchNorm state, so that export must carry every one of the four tensors.
            var rng = new Random(seed);
            foreach (var bn in model.Network.Layers.OfType<Jimu.Layers.BatchNorm>())
            {
                Fill(bn.Weight.Value.Span, rng, 0.5f, 1.5f);
                Fill(bn.Bias.Value.Span, rng, -0.5f, 0.5f);
                Fill(bn.RunningMean.Span, rng, -0.3f, 0.3f);
                Fill(bn.RunningVar.Span, rng, 0.2f, 2f);
                bn.BatchesTracked = 1234;
            }
            model.Classes = ["a", "b", "c", "d", "e", "f", "g"];
            model.Normalization = new Jimu.Data.Normalization([0.2f, 0.45f, 0.6f], [0.3f, 0.25f, 0.2f]);
        }
        return model;
    }

    private static void Fill(Span<float> v, Random rng, float low, float high)
    {
        for (int i = 0; i < v.Length; i++) v[i] = low + (high - low) * (float)rng.NextDouble();
    }

    public static int InputCount(Model model, int batch) => batch * model.Network.InputShape.Aggregate(1, (p, d) => p * d);
}
