namespace Jimu.Training;

/// <summary>
/// Derives independent seeds from a run's seed. (HashCode.Combine is randomised per process, so it would
/// break run-to-run determinism.) SplitMix64 finaliser over the packed inputs.
/// </summary>
public static class Seeds
{
    /// <summary>A seed for a sub-task (such as an epoch's shuffle) derived from the run's seed and two indices.</summary>
    public static int Derive(int seed, int a, int b)
    {
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)a << 32 ^ (uint)b;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }
}
