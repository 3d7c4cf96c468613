using System.CommandLine;

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

    /// <summary>
    /// The thread count of this command (--threads, default every core): every model the command loads or creates
    /// runs on that many (<see cref="Models.Model.Threads"/>). The library has no process-wide count; the command line does.
    /// </summary>
    public static int ThreadCount { get; private set; } = Environment.ProcessorCount;

    /// <summary>Reads --threads into <see cref="ThreadCount"/>.</summary>
    public static void ApplyThreads(ParseResult result)
    {
        int? n = result.GetValue(Threads);
        if (n is { } t)
        {
            if (t < 1) throw new CommandLineException($"--threads must be at least 1, got {t}.");
            ThreadCount = t;
        }
    }
}
