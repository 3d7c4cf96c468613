using Jimu.Layers;
using Jimu.Models;
using Jimu.Tests.Cli;
using Jimu.Training;

namespace Jimu.Tests.Models;

/// <summary>Same seed → same bits; resuming from a saved file continues exactly as an uninterrupted run.</summary>
public class DeterminismAndResumeTests
{
    // Dropout makes the seed matter for masks too, not only for the initial weights and shuffling.
    private static Architecture TinyWithDropout => new ArchitectureBuilder("tiny-dropout", 1, 28, 28)
        .Conv2D(4, kernel: 3).Relu().MaxPool(2).Flatten().Dropout(0.25).Linear(10).Build();

    private static float[][] Train(Architecture arch, Jimu.Data.MnistSplits data, int seed, OptimizerSettings settings, int epochs)
    {
        var model = Model.Create(arch, seed);
        model.Fit(data.Train, data.Test, settings, new TrainingOptions { Epochs = epochs, BatchSize = 16, Seed = seed });
        return TinyModel.Weights(model);
    }

    [Fact]
    public void SameSeed_BitIdentical_DifferentSeed_Different()
    {
        using var dir = new TempDirectory();
        var data = TinyModel.LoadData(dir.Path);
        var settings = new OptimizerSettings { Kind = OptimizerKind.Sgd, LearningRate = 0.05f, Momentum = 0.9f };
        var a = Train(TinyWithDropout, data, 11, settings, 1);
        var b = Train(TinyWithDropout, data, 11, settings, 1);
        var c = Train(TinyWithDropout, data, 12, settings, 1);
        Assert.True(TinyModel.SameBits(a, b));
        Assert.False(TinyModel.SameBits(a, c));
    }

    public static TheoryData<string> Optimizers => new() { "sgd", "sgd-nesterov", "adam" };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Resume_EqualsUninterruptedRun(string which)
    {
        using var dir = new TempDirectory();
        var data = TinyModel.LoadData(dir.Path);
        var settings = which switch
        {
            "adam" => new OptimizerSettings { Kind = OptimizerKind.Adam, LearningRate = 1e-3f, WeightDecay = 1e-4f },
            "sgd-nesterov" => new OptimizerSettings { Kind = OptimizerKind.Sgd, LearningRate = 0.05f, Momentum = 0.9f, Nesterov = true, WeightDecay = 5e-4f },
            _ => new OptimizerSettings { Kind = OptimizerKind.Sgd, LearningRate = 0.05f, Momentum = 0.9f, WeightDecay = 5e-4f },
        };
        var options = new TrainingOptions { Epochs = 2, BatchSize = 16, Seed = 5, Schedule = new LearningRateSchedule.Cosine() };
        var arch = TinyWithDropout;

        var whole = Model.Create(arch, 5);
        whole.Fit(data.Train, data.Test, settings, options);

        // 1 epoch, save, load, resume to 2 (the 1-epoch run's schedule starts at the same rate as the 2-epoch run's).
        var first = Model.Create(arch, 5);
        first.Fit(data.Train, data.Test, settings, options with { Epochs = 1 });
        string path = dir.File("one.safetensors");
        first.Save(path);
        var resumed = Model.Load(path);
        Assert.Equal(1, resumed.EpochsTrained);
        var history = resumed.Fit(data.Train, data.Test, settings, options, resume: true);
        Assert.Equal(new[] { 2 }, history.Select(h => h.Epoch));
        Assert.Equal(2, resumed.EpochsTrained);
        Assert.True(TinyModel.SameBits(TinyModel.Weights(whole), TinyModel.Weights(resumed)));

        // Interrupting the 2-epoch run after its first epoch (what Ctrl-C does), saving and resuming: the same bits.
        var interrupted = Model.Create(arch, 5);
        using var cts = new CancellationTokenSource();
        interrupted.Fit(data.Train, data.Test, settings, options, onEpoch: _ => cts.Cancel(), cancellation: cts.Token);
        Assert.Equal(1, interrupted.EpochsTrained);
        string path2 = dir.File("interrupted.safetensors");
        interrupted.Save(path2);
        var cont = Model.Load(path2);
        cont.Fit(data.Train, data.Test, settings, options, resume: true);
        Assert.True(TinyModel.SameBits(TinyModel.Weights(whole), TinyModel.Weights(cont)));
    }

    [Fact]
    public void Resume_WithoutOptimizerState_IsAClearError()
    {
        using var dir = new TempDirectory();
        var data = TinyModel.LoadData(dir.Path);
        string path = dir.File("untrained.safetensors");
        Model.Create(TinyModel.Architecture).Save(path);
        var m = Model.Load(path);
        var e = Assert.Throws<CheckpointException>(() => m.Fit(data.Train, data.Test, new OptimizerSettings(), new TrainingOptions { Epochs = 1 }, resume: true));
        Assert.Contains("start anew from its weights", e.Message);
    }
}
