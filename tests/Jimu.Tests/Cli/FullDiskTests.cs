using System.Diagnostics;
using Jimu.Models;
using Jimu.Tests.IO;

namespace Jimu.Tests.Cli;

/// <summary>
/// Writing to a small tmpfs: too small or read-only, `jimu train` stops with a one-line error before any training;
/// filled up while training, the next checkpoint fails and the last complete one stays on disk.
/// Needs `mount` (root with CAP_SYS_ADMIN, as CI runs); skipped with the reason elsewhere.
/// </summary>
[Collection(nameof(KillAndResumeCollection))]
public class FullDiskTests
{
    /// <summary>A tmpfs of <paramref name="kilobytes"/> KiB mounted on a fresh folder, unmounted on dispose.</summary>
    private sealed class Tmpfs : IDisposable
    {
        public Tmpfs(TempDirectory dir, int kilobytes, bool readOnly = false)
        {
            Path = dir.File("disk");
            Directory.CreateDirectory(Path);
            var (code, err) = Sh("mount", "-t", "tmpfs", "-o", $"size={kilobytes}k{(readOnly ? ",ro" : "")}", "tmpfs", Path);
            Assert.SkipUnless(code == 0, $"cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN): {err.Trim()}");
        }

        public string Path { get; }

        public void Dispose() => Sh("umount", "-l", Path);
    }

    private static (int Code, string Err) Sh(string file, params string[] args)
    {
        try
        {
            var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in args) info.ArgumentList.Add(a);
            using var p = Process.Start(info)!;
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, err);
        }
        catch (System.ComponentModel.Win32Exception e) { return (-1, e.Message); }
    }

    private static string[] Args(string dir, string outPath, int epochs = 1, int checkpointEvery = 0) =>
        ["train", "--arch", TinyModel.WriteArch(dir), "--data", TinyModel.WriteData(dir), "--epochs", $"{epochs}", "--batch-size", "2",
         "--threads", "1", "--out", outPath, "--checkpoint-every", $"{checkpointEvery}"];

    [Theory]
    [InlineData(32, false, "free some space or write to another folder (--out)")] // the tiny model's checkpoint needs ~55 KB and some slack
    [InlineData(1024, true, "Read-only file system")]
    public void TooSmallOrReadOnlyDisk_IsAOneLineErrorBeforeTraining(int kilobytes, bool readOnly, string says)
    {
        using var dir = new TempDirectory();
        using var disk = new Tmpfs(dir, kilobytes, readOnly);
        string outPath = Path.Combine(disk.Path, "m.safetensors");
        var (code, stdout, err) = CliRunner.Run(Args(dir.Path, outPath));
        Assert.Equal(1, code);
        Assert.StartsWith($"error: cannot write '{outPath}'", err);
        Assert.Contains(says, err);
        Assert.Single(err.TrimEnd().Split('\n'));
        Assert.DoesNotContain("epoch", stdout); // nothing was trained
        Assert.Empty(Directory.GetFileSystemEntries(disk.Path));
    }

    [Fact]
    public void DiskFillingUpDuringTraining_FailsTheNextSave_AndKeepsTheLastGoodCheckpoint()
    {
        using var dir = new TempDirectory();
        using var disk = new Tmpfs(dir, 512);
        string outPath = Path.Combine(disk.Path, "m.safetensors");
        var data = TinyModel.LoadData(dir.Path);
        var model = Model.Create(TinyModel.Architecture);
        var saved = new List<Jimu.Training.TrainingPosition>();
        var e = Assert.ThrowsAny<JimuException>(() => model.Fit(data.Train, data.Test, new Jimu.Training.OptimizerSettings { Momentum = 0.9f },
            new Jimu.Training.TrainingOptions { Epochs = 1, BatchSize = 2, CheckpointEvery = 1 }, onCheckpoint: p =>
            {
                model.Save(outPath);
                saved.Add(p);
                if (saved.Count == 3) Fill(disk.Path); // another program takes the rest of the disk
            }));
        Assert.StartsWith($"cannot write '{outPath}': No space left on device", e.Message);
        Assert.Equal(3, saved.Count);
        // The file on disk is the last complete checkpoint; the failed save left no temporary file.
        var kept = Model.Load(outPath);
        Assert.Equal(saved[^1], kept.Position);
        Assert.Equal(["filler", "m.safetensors"], Directory.GetFiles(disk.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    /// <summary>Writes 4 KiB blocks until the disk is full (File.WriteAllBytes would reserve it all at once, fail, and write nothing).</summary>
    private static void Fill(string folder)
    {
        using var filler = new FileStream(Path.Combine(folder, "filler"), FileMode.Create, FileAccess.Write, FileShare.None, 1);
        var block = new byte[4096];
        try { while (true) filler.Write(block); }
        catch (IOException) { }
    }
}
