using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// Dropout masks from SplitMix64. The generator's state is a counter: the i-th number after state s is
/// mix(s + i·γ). Element i of a mask is kept (mask = keep) when u = (mix(s + (i + 1)·γ) &gt;&gt; 11)·2⁻⁵³ ≥ p and
/// dropped (0) otherwise. Being a counter, vector lanes compute consecutive numbers at once, and the masks
/// are exactly those of drawing one number at a time (sixteen at a time with AVX-512, four with 128- or 256-bit vectors).
/// </summary>
internal static class DropoutMask
{
    /// <summary>SplitMix64's increment γ, 2⁶⁴ divided by the golden ratio.</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>SplitMix64's output function.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Mix(Vector512<ulong> z)
    {
        z = (z ^ Vector512.ShiftRightLogical(z, 30)) * Vector512.Create(0xBF58476D1CE4E5B9UL);
        z = (z ^ Vector512.ShiftRightLogical(z, 27)) * Vector512.Create(0x94D049BB133111EBUL);
        return z ^ Vector512.ShiftRightLogical(z, 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Mix(Vector128<ulong> z)
    {
        z = (z ^ Vector128.ShiftRightLogical(z, 30)) * Vector128.Create(0xBF58476D1CE4E5B9UL);
        z = (z ^ Vector128.ShiftRightLogical(z, 27)) * Vector128.Create(0x94D049BB133111EBUL);
        return z ^ Vector128.ShiftRightLogical(z, 31);
    }

    /// <summary>Fills <paramref name="mask"/> for drop probability <paramref name="p"/> and advances <paramref name="state"/> past the numbers used.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Fill(Span<float> mask, ref ulong state, double p, float keep)
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout probability must be in [0, 1), got {p}.");
        // u ≥ p ⟺ (z >> 11) ≥ ⌈p·2⁵³⌉, since u = (z >> 11)·2⁻⁵³ exactly and p·2⁵³ is exact.
        ulong threshold = (ulong)Math.Ceiling(p * (1UL << 53));
        ulong s = state;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var steps = Vector512.Create(1UL, 2, 3, 4, 5, 6, 7, 8) * Vector512.Create(Gamma);
            var limit = Vector512.Create(threshold);
            var kept = Vector512.Create(keep);
            for (; i + 16 <= mask.Length; i += 16, s += unchecked(16 * Gamma))
            {
                var lo = Mix(Vector512.Create(s) + steps);
                var hi = Mix(Vector512.Create(s + unchecked(8 * Gamma)) + steps);
                var keepLo = Vector512.GreaterThanOrEqual(Vector512.ShiftRightLogical(lo, 11), limit);
                var keepHi = Vector512.GreaterThanOrEqual(Vector512.ShiftRightLogical(hi, 11), limit);
                var select = Vector512.Narrow(keepLo, keepHi).AsSingle();
                Vector512.ConditionalSelect(select, kept, Vector512<float>.Zero).StoreUnsafe(ref mask[i]);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            // Four at a time in two pairs: without AVX-512 a 64-bit lane multiply is a few 32-bit ones, and in 128-bit
            // vectors they cost the least (2.3x the scalar loop with AVX2 or without; 256-bit vectors gain less).
            var steps = Vector128.Create(1UL, 2) * Vector128.Create(Gamma);
            var limit = Vector128.Create(threshold);
            var kept = Vector128.Create(keep);
            for (; i + 4 <= mask.Length; i += 4, s += unchecked(4 * Gamma))
            {
                var lo = Mix(Vector128.Create(s) + steps);
                var hi = Mix(Vector128.Create(s + unchecked(2 * Gamma)) + steps);
                var keepLo = Vector128.GreaterThanOrEqual(Vector128.ShiftRightLogical(lo, 11), limit);
                var keepHi = Vector128.GreaterThanOrEqual(Vector128.ShiftRightLogical(hi, 11), limit);
                var select = Vector128.Narrow(keepLo, keepHi).AsSingle();
                Vector128.ConditionalSelect(select, kept, Vector128<float>.Zero).StoreUnsafe(ref mask[i]);
            }
        }
        for (; i < mask.Length; i++)
        {
            s += Gamma;
            mask[i] = Mix(s) >> 11 >= threshold ? keep : 0f;
        }
        state = s;
    }
}
