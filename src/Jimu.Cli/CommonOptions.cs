using System.CommandLine;
using Jimu.Kernels;

namespace Jimu.Cli;

/// <summary>Options shared by several commands.</summary>
public static class CommonOptions
{
    /// <summary>--threads N: how many threads the kernels use (default: every core).</summary>
    public static readonly Option<int?> Threads = new("--threads")
    {
        Description = "Number of threads for training, evaluation, prediction and benchmarks (default: all cores).",
        Recursive = true,
    };

    /// <summary>Applies --threads to the kernels.</summary>
    public static void ApplyThreads(ParseResult result)
    {
        int? n = result.GetValue(Threads);
        if (n is { } t)
        {
            if (t < 1) throw new ArgumentException($"--threads must be at least 1, got {t}.");
            Parallelism.Threads = t;
        }
    }
}
