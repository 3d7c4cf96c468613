using Jimu.Kernels;

namespace Jimu.Training;

/// <summary>
/// A small counter-based random generator (SplitMix64, the dropout masks' generator): the i-th number after state s
/// is mix(s + i·γ). A value type, reseeded in place, so that the training loop draws each step's augmentation from a
/// fresh stream (<see cref="Seeds.ForStep"/>) without allocating anything.
/// </summary>
public struct SplitMix64
{
    private ulong _state;

    /// <summary>A generator whose stream is fixed by <paramref name="seed"/>.</summary>
    public SplitMix64(long seed) => _state = DropoutMask.Mix((ulong)seed ^ 0x6A09E667F3BCC909UL);

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64() => DropoutMask.Mix(_state += DropoutMask.Gamma);

    /// <summary>
    /// A number in [0, <paramref name="bound"/>): ⌊u·bound / 2³²⌋ for the top 32 bits u (Lemire's multiply-shift; its
    /// bias, at most bound / 2³², is far below anything a few augmentation draws could show).
    /// </summary>
    public int Next(int bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound), $"The bound must be positive, got {bound}.");
        return (int)((NextUInt64() >> 32) * (ulong)bound >> 32);
    }

    /// <summary>A number in [<paramref name="min"/>, <paramref name="maxExclusive"/>).</summary>
    public int Next(int min, int maxExclusive) => min + Next(maxExclusive - min);
}
