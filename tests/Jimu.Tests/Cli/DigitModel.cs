using Jimu.Layers;
using Jimu.Data;
using Jimu.Models;
using Jimu.Training;

namespace Jimu.Tests.Cli;

/// <summary>
/// A small CNN trained once per test run on the bundled MNIST sample (3 epochs, ~96 % test accuracy, a few seconds):
/// good enough to read clearly drawn digits, for the tests of predict --preprocess mnist, the server and the page.
/// </summary>
public static class DigitModel
{
    public const string ArchJson = """
        {
          "name": "digits-small",
          "input": [1, 28, 28],
          "layers": [
            { "type": "conv2d", "out_channels": 8, "kernel": 5, "padding": "same" },
            { "type": "relu" },
            { "type": "maxpool2d", "kernel": 2 },
            { "type": "conv2d", "out_channels": 16, "kernel": 5, "padding": "same" },
            { "type": "relu" },
            { "type": "maxpool2d", "kernel": 2 },
            { "type": "flatten" },
            { "type": "linear", "out_features": 10 }
          ]
        }
        """;

    private static readonly Lazy<string> _path = new(Train);

    /// <summary>The trained model's file (in a temporary directory that lives as long as the test process).</summary>
    public static string Path => _path.Value;

    private static string Train()
    {
        var (train, test) = MnistFolder.Load(RepoPaths.MnistSample);
        var model = Model.Create(Architecture.FromJson(ArchJson, "digits-small.json"), seed: 1);
        model.Fit(train, test, new OptimizerSettings { Kind = OptimizerKind.Sgd, LearningRate = 0.05f, Momentum = 0.9f, WeightDecay = 5e-4f },
            new TrainingOptions { Epochs = 3, BatchSize = 64, MaxShift = 2, Seed = 1, Schedule = LearningRateSchedule.Parse("cosine") });
        string dir = Directory.CreateTempSubdirectory("jimu-digit-model-").FullName;
        string path = System.IO.Path.Combine(dir, "digits-small.safetensors");
        model.Save(path);
        return path;
    }
}
