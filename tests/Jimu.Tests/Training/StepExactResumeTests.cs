using Jimu.Layers;
using Jimu.IO;
using Jimu.Models;
using Jimu.Tests.Cli;
using Jimu.Tests.IO;
using Jimu.Training;

namespace Jimu.Tests.Training;

/// <summary>
/// A checkpoint taken after any step, loaded and resumed, ends bit for bit where the uninterrupted run ends, and
/// reports the same epoch figures: the position fixes data order, dropout masks, augmentation and learning rate.
/// </summary>
public class StepExactResumeTests
{
    // 64 training images in batches of 10: 7 steps an epoch, the last one of 4 images. Every kind of state a
    // checkpoint must carry: momentum, BatchNorm running statistics, dropout masks, shift/crop/flip draws, shuffling, the schedule.
    private static Architecture Arch => new ArchitectureBuilder("tiny-dropout", 1, 28, 28)
        .Conv2D(4, kernel: 3).BatchNorm().Relu().MaxPool(2).Flatten().Dropout(0.25).Linear(10).Build();

    private static readonly OptimizerSettings Settings = new() { Kind = OptimizerKind.Sgd, LearningRate = 0.05f, Momentum = 0.9f, Nesterov = true, WeightDecay = 5e-4f };
    private static readonly TrainingOptions Options = new() { Epochs = 2, BatchSize = 10, Seed = 7, MaxShift = 1, CropPadding = 2, Flip = true, Schedule = new LearningRateSchedule.Cosine() };

    [Fact]
    public void CheckpointAfterAnyStep_ResumesToTheSameBitsAndFigures()
    {
        using var dir = new TempDirectory();
        var data = TinyModel.LoadData(dir.Path);
        var whole = Model.Create(Arch, 7);
        var wholeHistory = whole.Fit(data.Train, data.Test, Settings, Options);

        // The same run, writing a checkpoint after every step (and every epoch end) to its own file.
        var checkpointed = Model.Create(Arch, 7);
        var saved = new List<(TrainingPosition Position, string Path)>();
        checkpointed.Fit(data.Train, data.Test, Settings, Options with { CheckpointEvery = 1 }, onCheckpoint: p =>
        {
            string path = dir.File($"step{saved.Count}.safetensors");
            checkpointed.Save(path);
            saved.Add((p, path));
        });
        Assert.True(TinyModel.SameBits(TinyModel.Weights(whole), TinyModel.Weights(checkpointed)));
        // Steps 1–6 of each epoch, then its end (the 7th step, after the epoch's evaluation).
        Assert.Equal(14, saved.Count);
        Assert.Equal(new TrainingPosition(0, 1), saved[0].Position with { LossSum = 0, Correct = 0, Seen = 0 });
        Assert.Equal(new TrainingPosition(1, 0), saved[6].Position);
        Assert.Equal(new TrainingPosition(2, 0), saved[13].Position);

        // The first step, the last steps before an epoch's end, an epoch's end, the first step of the next epoch.
        foreach (int i in new[] { 0, 5, 6, 7, 12 })
        {
            var resumed = Model.Load(saved[i].Path);
            Assert.Equal(saved[i].Position, resumed.Position);
            var history = resumed.Fit(data.Train, data.Test, Settings, Options, resume: true);
            Assert.True(TinyModel.SameBits(TinyModel.Weights(whole), TinyModel.Weights(resumed)), $"resumed from checkpoint {i} ({saved[i].Position})");
            Assert.Equal(new TrainingPosition(2, 0), resumed.Position);
            // The resumed epoch reports the uninterrupted epoch's train loss and accuracy.
            var last = history[^1];
            Assert.Equal(wholeHistory[^1].TrainLoss, last.TrainLoss);
            Assert.Equal(wholeHistory[^1].TrainAccuracy, last.TrainAccuracy);
            Assert.Equal(wholeHistory[^1].TestLoss, last.TestLoss);
        }
    }

    [Theory]
    [InlineData(1)]   // after the first step
    [InlineData(7)]   // after the last step of epoch 1: cancelled between epochs
    [InlineData(10)]  // inside epoch 2
    public void CancelledAtAStep_SavesThatStep_AndResumesExactly(int step)
    {
        using var dir = new TempDirectory();
        var data = TinyModel.LoadData(dir.Path);
        var whole = Model.Create(Arch, 7);
        whole.Fit(data.Train, data.Test, Settings, Options);

        var interrupted = Model.Create(Arch, 7);
        using var cts = new CancellationTokenSource();
        int steps = 0;
        interrupted.Fit(data.Train, data.Test, Settings, Options, onStep: _ => { if (++steps == step) cts.Cancel(); }, cancellation: cts.Token);
        Assert.Equal(step, interrupted.Steps);
        Assert.Equal(step == 7 ? new TrainingPosition(1, 0) : new TrainingPosition(step / 7, step % 7),
            interrupted.Position with { LossSum = 0, Correct = 0, Seen = 0 });
        string path = dir.File("interrupted.safetensors");
        interrupted.Save(path);

        var resumed = Model.Load(path);
        Assert.Equal(interrupted.Position, resumed.Position);
        resumed.Fit(data.Train, data.Test, Settings, Options, resume: true);
        Assert.True(TinyModel.SameBits(TinyModel.Weights(whole), TinyModel.Weights(resumed)));
    }

    [Fact]
    public void ResumingWithOtherOptions_IsAClearError()
    {
        using var dir = new TempDirectory();
        var data = TinyModel.LoadData(dir.Path);
        var model = Model.Create(Arch, 7);
        using var cts = new CancellationTokenSource();
        model.Fit(data.Train, data.Test, Settings, Options, onStep: _ => cts.Cancel(), cancellation: cts.Token);
        string path = dir.File("m.safetensors");
        model.Save(path);

        var e = Assert.ThrowsAny<JimuException>(() => Model.Load(path).Fit(data.Train, data.Test, Settings, Options with { BatchSize = 16 }, resume: true));
        Assert.Contains("different training options", e.Message);
        e = Assert.ThrowsAny<JimuException>(() => Model.Load(path).Fit(data.Train, data.Test, Settings with { LearningRate = 0.1f }, Options, resume: true));
        Assert.Contains("different optimizer settings", e.Message);
        // More epochs is allowed: the run goes on.
        var more = Model.Load(path);
        more.Fit(data.Train, data.Test, Settings, Options with { Epochs = 3 }, resume: true);
        Assert.Equal(3, more.EpochsTrained);
    }

    [Fact]
    public void StepRandomness_DependsOnlyOnSeedAndPosition()
    {
        Assert.Equal(Seeds.ForStep(1, 2, 3, Seeds.AugmentStream), Seeds.ForStep(1, 2, 3, Seeds.AugmentStream));
        var all = new HashSet<int>();
        foreach (int epoch in new[] { 0, 1 })
            foreach (int step in new[] { 0, 1, 2 })
                foreach (int stream in new[] { Seeds.AugmentStream, Seeds.DropoutStream, Seeds.DropoutStream + 1 })
                    all.Add(Seeds.ForStep(1, epoch, step, stream));
        Assert.Equal(18, all.Count);
    }

    [Fact]
    public void CheckpointHoldsOptionsAndPosition_InTheSafetensorsMetadata()
    {
        using var dir = new TempDirectory();
        var data = TinyModel.LoadData(dir.Path);
        var model = Model.Create(Arch, 7);
        using var cts = new CancellationTokenSource();
        model.Fit(data.Train, data.Test, Settings, Options, onStep: p => { if (p.Step == 3) cts.Cancel(); }, cancellation: cts.Token);
        string path = dir.File("m.safetensors");
        model.Save(path);
        var metadata = SafeTensors.Read(path).Metadata;
        Assert.Contains("\"Step\":3", metadata[ModelFile.TrainingKey]);
        Assert.Contains("\"Schedule\":\"cosine\"", metadata[ModelFile.TrainingKey]);
        Assert.Equal(Options with { Epochs = 2 }, Model.Load(path).TrainingOptions);
    }

    [Fact]
    public void CliResume_TakesTheCheckpointsOptions_AndRefusesAnExplicitDifferentOne()
    {
        using var dir = new TempDirectory();
        string arch = TinyModel.WriteArch(dir.Path), data = TinyModel.WriteData(dir.Path), path = dir.File("m.safetensors");
        string[] common = ["train", "--arch", arch, "--data", data, "--threads", "1", "--out", path];
        var (code, _, err) = CliRunner.Run([.. common, "--epochs", "1", "--batch-size", "16", "--seed", "5", "--shift", "0", "--lr", "0.1"]);
        Assert.True(code == 0, err);

        (code, _, err) = CliRunner.Run([.. common, "--resume", path, "--epochs", "2", "--batch-size", "8"]);
        Assert.Equal(1, code);
        Assert.Equal("error: --batch-size 8 differs from the checkpoint's 16: a resumed run continues with the checkpoint's options (only --epochs may change); drop --batch-size, or start anew with --init.", err.Trim());
        (code, _, err) = CliRunner.Run([.. common, "--resume", path, "--epochs", "2", "--lr", "0.2"]);
        Assert.Equal(1, code);
        Assert.StartsWith("error: --lr differs from the checkpoint's optimizer settings", err);

        // Without them: the checkpoint's batch size, seed, shift and learning rate (not the defaults 64, 1, 2 and 0.05).
        (code, var stdout, err) = CliRunner.Run([.. common, "--resume", path, "--epochs", "2"]);
        Assert.True(code == 0, err);
        string line = System.Text.RegularExpressions.Regex.Replace(stdout, @"\s+", " "); // Spectre wraps at 80 columns
        Assert.Contains("lr 0.1 (cosine)", line);
        Assert.Contains("batch 16, 2 epochs, shift 0,", line);
        Assert.Contains("seed 5,", line);
        var resumed = Model.Load(path);
        Assert.Equal(2, resumed.EpochsTrained);
        Assert.Equal(16, resumed.TrainingOptions!.BatchSize);
    }
}
