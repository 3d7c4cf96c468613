namespace Jimu.Kernels;

/// <summary>The number of threads kernels may use. Defaults to every core.</summary>
public static class Parallelism
{
    private static int _threads = Environment.ProcessorCount;

    /// <summary>Threads the kernels use (at least 1; default: every core).</summary>
    public static int Threads
    {
        get => _threads;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), $"Thread count must be at least 1, got {value}.");
            _threads = value;
        }
    }
}
