using System.Diagnostics;
using Jimu.Models;
using Jimu.Tests.IO;
using Jimu.Training;

namespace Jimu.Tests.Cli;

/// <summary>
/// `jimu train` in a child process, killed with SIGKILL at random moments (during saves too): the checkpoint on
/// disk is always a complete one, holding exactly the uninterrupted run's weights at its position; `--resume`
/// always continues; the last run ends on the uninterrupted run's bits and leaves no temporary file behind.
/// Interrupted with SIGINT (Ctrl-C), it says what it saved, and that resumes exactly too.
/// </summary>
[Collection(nameof(KillAndResumeCollection))]
public class KillAndResumeTests(ITestOutputHelper output)
{
    // A checkpoint after every step (weights + momentum, 1.4 MB, flushed to disk) makes saves a good share of
    // the run: many kills land inside one.
    private const string ArchJson = """
        { "name": "kill", "input": [1, 28, 28], "layers": [
            { "type": "conv2d", "out_channels": 4, "kernel": 3 }, { "type": "relu" }, { "type": "maxpool2d", "kernel": 2 },
            { "type": "flatten" }, { "type": "dropout", "p": 0.2 }, { "type": "linear", "out_features": 256 }, { "type": "relu" },
            { "type": "linear", "out_features": 10 } ] }
        """;

    // 30 epochs of 32 steps (64 images in batches of 2), a checkpoint after every step.
    private const int Epochs = 30, StepsPerEpoch = 32;

    private static string[] TrainArgs(string dir, string outPath, bool checkpoints = true) =>
        ["train", "--arch", Path.Combine(dir, "kill.json"), "--data", Path.Combine(dir, "data"), "--epochs", $"{Epochs}", "--batch-size", "2",
         "--lr", "0.02", "--shift", "1", "--seed", "4", "--threads", "1", "--out", outPath, .. checkpoints ? new[] { "--checkpoint-every", "1" } : []];

    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "Jimu.Cli.dll");

    private static Process Start(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(CliDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }

    /// <summary>
    /// The uninterrupted run (without step checkpoints: they must not change the result), its final weights,
    /// and, from the same run in-process, a hash of the weights at every checkpoint position.
    /// </summary>
    private static (float[][] Final, Dictionary<TrainingPosition, string> AtPosition) Reference(string dir, bool positions = true)
    {
        string path = Path.Combine(dir, "reference.safetensors");
        var (code, _, err) = CliRunner.Run(TrainArgs(dir, path, checkpoints: false));
        Assert.True(code == 0, err);
        var final = Model.Load(path);
        File.Delete(path);
        if (!positions) return (TinyModel.Weights(final), []);
        var model = Model.Create(Architecture.Load(Path.Combine(dir, "kill.json")), final.TrainingOptions!.Seed);
        var data = Jimu.Data.MnistFolder.Load(Path.Combine(dir, "data"));
        var at = new Dictionary<TrainingPosition, string>();
        model.Threads = 1; // as the child processes (--threads 1)
        model.Fit(data.Train, data.Test, final.OptimizerSettings!, final.TrainingOptions with { CheckpointEvery = 1 },
            onCheckpoint: p => at[p] = Hash(model));
        Assert.True(TinyModel.SameBits(TinyModel.Weights(final), TinyModel.Weights(model)));
        return (TinyModel.Weights(final), at);
    }

    private static string Hash(Model model)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var (_, p) in model.Network.Parameters) sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(p.Value.Span));
        return Convert.ToHexString(sha.GetHashAndReset());
    }

    private static void Setup(TempDirectory dir)
    {
        File.WriteAllText(dir.File("kill.json"), ArchJson);
        TinyMnist.Write(dir.File("data"));
    }

    [Fact]
    public void Sigkill_At50RandomMoments_NeverTearsTheCheckpoint_AndResumeEndsOnTheSameBits()
    {
        using var dir = new TempDirectory();
        Setup(dir);
        var (final, atPosition) = Reference(dir.Path);
        string outPath = dir.File("run.safetensors");
        var rng = new Random(2024);
        var last = TrainingPosition.Start;
        int killsInSave = 0, progressed = 0;
        var clock = Stopwatch.StartNew();
        for (int kill = 0; kill < 50; kill++)
        {
            bool resume = File.Exists(outPath);
            var args = TrainArgs(dir.Path, outPath).ToList();
            if (resume) args.AddRange(["--resume", outPath]);
            var before = File.Exists(outPath) ? File.GetLastWriteTimeUtc(outPath) : DateTime.MinValue;
            using var process = Start(args);
            // Wait until this run has written a checkpoint (it is training), then kill anywhere in the next 50 ms (up to ~15 steps and saves).
            var wait = Stopwatch.StartNew();
            while (!process.HasExited && (!File.Exists(outPath) || File.GetLastWriteTimeUtc(outPath) == before) && wait.Elapsed < TimeSpan.FromSeconds(30))
                Thread.Sleep(1);
            if (process.HasExited) Assert.Fail($"kill {kill}: the run ended by itself: {process.StandardError.ReadToEnd()}");
            Thread.Sleep(rng.Next(0, 50));
            process.Kill();
            process.WaitForExit();

            if (Directory.GetFiles(dir.Path, ".run.safetensors.*.tmp").Length > 0) killsInSave++;
            // Complete, and exactly the uninterrupted run at its position: never torn, never a mix.
            var model = Model.Load(outPath);
            Assert.True(atPosition.TryGetValue(model.Position, out var expected), $"kill {kill}: unknown position {model.Position}");
            Assert.True(expected == Hash(model), $"kill {kill}: weights at {model.Position} differ from the uninterrupted run's");
            Assert.True(model.Position.Epoch > last.Epoch || model.Position.Epoch == last.Epoch && model.Position.Step >= last.Step,
                $"kill {kill}: the checkpoint went back from {last} to {model.Position}");
            if (model.Position != last) progressed++;
            last = model.Position;
            Assert.True(last.Epoch < Epochs, "the run finished before 50 kills: make it longer");
        }
        // The last run goes to the end.
        var (code, _, err) = Run([.. TrainArgs(dir.Path, outPath), .. File.Exists(outPath) ? new[] { "--resume", outPath } : []]);
        Assert.True(code == 0, err);
        Assert.True(TinyModel.SameBits(final, TinyModel.Weights(Model.Load(outPath))), "the resumed chain ends on other bits than the uninterrupted run");
        // A clean start cleared what the killed saves left; the finished run left nothing.
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s; kills that left a save's temporary file: {killsInSave}; runs that moved the checkpoint on: {progressed}; final position before the last run: {last}");
        Assert.True(killsInSave > 0, "no kill landed inside a save");
        Assert.Equal(50, progressed);
    }

    [Fact]
    public void Sigint_SavesTheExactStep_SaysSo_AndResumesExactly()
    {
        using var dir = new TempDirectory();
        Setup(dir);
        var (final, _) = Reference(dir.Path, positions: false);
        string outPath = dir.File("run.safetensors");
        using var process = Start(TrainArgs(dir.Path, outPath));
        // Ctrl-C once the first checkpoint exists: the run is then inside its steps.
        var clock = Stopwatch.StartNew();
        while (!File.Exists(outPath) && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(5);
        Assert.True(File.Exists(outPath), "no checkpoint was written");
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString()])) kill.WaitForExit();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var model = Model.Load(outPath);
        if (process.ExitCode == 0)
            Assert.Equal(Epochs, model.EpochsTrained); // the run ended before the signal arrived
        else
        {
            Assert.Equal(130, process.ExitCode);
            // Spectre wraps long lines at 80 columns when the output is not a terminal, even inside a word.
            static string Squeeze(string t) => string.Concat(t.Where(c => !char.IsWhiteSpace(c)));
            Assert.Contains(Squeeze($"Interrupted: saved {outPath} {model.Position.Describe(StepsPerEpoch)} ({model.Steps:N0} optimizer steps in all)"), Squeeze(stdout));
            Assert.Equal(model.Position.Epoch * StepsPerEpoch + model.Position.Step, model.Steps);
        }
        var (code, _, err) = Run([.. TrainArgs(dir.Path, outPath), "--resume", outPath]);
        Assert.True(code == 0, err);
        Assert.True(TinyModel.SameBits(final, TinyModel.Weights(Model.Load(outPath))), $"resumed from {model.Position}: other bits than the uninterrupted run");
    }

    private static (int Code, string Out, string Err) Run(string[] args)
    {
        using var process = Start(args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        string err = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, err);
    }
}

/// <summary>
/// Child processes and timing: these tests run alone, so that other tests' load does not touch them.
/// </summary>
[CollectionDefinition(nameof(KillAndResumeCollection), DisableParallelization = true)]
public sealed class KillAndResumeCollection;
