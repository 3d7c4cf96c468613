using System.Diagnostics;

namespace Jimu.Onnx.Tests;

/// <summary>The ONNX project's checker (onnx.checker.check_model with full_check, via tools/onnx_check.py) accepts every exported test network.</summary>
public class CheckerTests
{
    private const string Python = "/usr/bin/python3";

    [Fact]
    public void OnnxCheckerAcceptsEveryExport()
    {
        Assert.SkipUnless(File.Exists(Python) && Run(Python, "-c \"import onnx\"").Code == 0,
            "python3-onnx is not installed: apt-get install python3-onnx");
        using var dir = new TempDirectory();
        var files = new List<string>();
        foreach (var name in TestNetworks.Names)
        {
            string path = dir.File(name + ".onnx");
            TestNetworks.Create(name).ExportOnnx(path);
            files.Add(path);
        }
        string script = Path.Combine(RepoPaths.Root, "tools", "onnx_check.py");
        var (code, output) = Run(Python, string.Join(" ", new[] { script }.Concat(files).Select(f => $"\"{f}\"")));
        Assert.True(code == 0, output);
        Assert.Equal(files.Count, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.StartsWith("ok ", StringComparison.Ordinal)));
    }

    private static (int Code, string Output) Run(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000)) { process.Kill(); return (-1, "timed out"); }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
