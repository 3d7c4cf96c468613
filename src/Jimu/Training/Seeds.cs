namespace Jimu.Training;

/// <summary>
/// Derives independent seeds from a run's seed. (HashCode.Combine is randomised per process, so it would
/// break run-to-run determinism.) SplitMix64 finaliser over the packed inputs.
/// <para>Every random draw of a training run comes from a generator seeded by <see cref="ForStep"/> with the
/// run's seed, the position (epoch, step) and the consumer's stream number: the position alone fixes the
/// randomness, so a run resumed at any step draws exactly what the uninterrupted run drew, and a checkpoint
/// stores no generator state. A new random consumer (an augmentation, a layer) takes a new stream number below
/// and reseeds at each step.</para>
/// </summary>
public static class Seeds
{
    /// <summary>Stream numbers: one per random consumer of the training loop.</summary>
    public const int ShuffleStream = 0x5EED, AugmentStream = 0x5A1F, DropoutStream = 0xD50F; // dropout: + layer index

    /// <summary>A seed for a sub-task (such as an epoch's shuffle) derived from the run's seed and two indices.</summary>
    public static int Derive(int seed, int a, int b)
    {
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)a << 32 ^ (uint)b;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }

    /// <summary>The seed of <paramref name="stream"/> at step <paramref name="step"/> of epoch <paramref name="epoch"/> (both 0-based).</summary>
    public static int ForStep(int seed, int epoch, int step, int stream) => Derive(Derive(seed, epoch, step), stream, 0x57E9);
}
