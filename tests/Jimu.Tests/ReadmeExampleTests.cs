using Jimu.Data;
using Jimu.Layers;
using Jimu.Models;
using Jimu.Training;

namespace Jimu.Tests;

/// <summary>The README's C# example, run as written (the test checks the README still shows this very code).</summary>
public class ReadmeExampleTests
{
    private static void Example(string dataDirectory, string modelPath, List<string> log)
    {
        var Console = new { WriteLine = (Action<string>)log.Add };
        // README-BEGIN
        var (train, test) = MnistFolder.Load(dataDirectory);

        var architecture = new ArchitectureBuilder("tiny-cnn", channels: 1, height: 28, width: 28)
            .Conv2D(8, kernel: 5, padding: Padding.Same).Relu().MaxPool(2)
            .Conv2D(16, kernel: 5, padding: Padding.Same).Relu().MaxPool(2)
            .Flatten().Linear(64).Relu().Dropout(0.25).Linear(10)
            .Build();
        var model = Model.Create(architecture, seed: 42);

        model.Fit(train, test,
            new OptimizerSettings { Kind = OptimizerKind.Sgd, LearningRate = 0.05f, Momentum = 0.9f, WeightDecay = 5e-4f },
            new TrainingOptions { Epochs = 2, BatchSize = 64 },
            onEpoch: e => Console.WriteLine($"epoch {e.Epoch}: test accuracy {e.TestAccuracy:P2}"));

        Evaluation evaluation = model.Evaluate(test);
        Console.WriteLine($"loss {evaluation.Loss:F4}, accuracy {evaluation.Accuracy:P2}");

        model.Save(modelPath);
        var loaded = Model.Load(modelPath);
        Prediction[] predictions = loaded.Predict(test.Images);
        Console.WriteLine($"first test image: {predictions[0].Class} ({predictions[0].Probability:P1})");
        // README-END
        Assert.True(evaluation.Accuracy > 0.9, $"accuracy {evaluation.Accuracy}");
        Assert.Equal(test.Count, predictions.Length);
        Assert.Equal(evaluation.Accuracy, predictions.Select((p, i) => p.Class == test.Labels[i] ? 1.0 : 0.0).Average(), 6);
    }

    [Fact]
    public void Readme_example_trains_evaluates_saves_loads_and_predicts()
    {
        string dir = Path.Combine(Path.GetTempPath(), "jimu-readme-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var log = new List<string>();
            Example(RepoPaths.MnistSample, Path.Combine(dir, "tiny-cnn.safetensors"), log);
            Assert.Equal(4, log.Count);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Readme_shows_exactly_the_tested_code()
    {
        static string Normalize(IEnumerable<string> lines) => string.Join("\n", lines.Select(l => l.Trim()).Where(l => l.Length > 0));
        var source = File.ReadAllLines(Path.Combine(RepoPaths.Root, "tests", "Jimu.Tests", "ReadmeExampleTests.cs"));
        int begin = Array.FindIndex(source, l => l.Trim() == "// README-BEGIN"), end = Array.FindIndex(source, l => l.Trim() == "// README-END");
        var tested = Normalize(source[(begin + 1)..end]);
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        int start = readme.IndexOf("```csharp\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "README has no ```csharp block");
        int stop = readme.IndexOf("```", start + 10, StringComparison.Ordinal);
        var block = readme[(start + 10)..stop].Split('\n').Where(l => !l.TrimStart().StartsWith("using ", StringComparison.Ordinal));
        Assert.Equal(tested, Normalize(block));
    }
}
