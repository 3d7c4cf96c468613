using Jimu.Kernels;

namespace Jimu.Tests.Kernels;

public class DropoutMaskTests
{
    /// <summary>The generator written the plain way: one SplitMix64 number per element, compared as a double.</summary>
    private static float[] OneAtATime(int length, ref ulong state, double p, float keep)
    {
        var mask = new float[length];
        for (int i = 0; i < length; i++)
        {
            ulong z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            mask[i] = (z >> 11) * (1.0 / (1UL << 53)) >= p ? keep : 0f;
        }
        return mask;
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.1)]
    [InlineData(0.999)]
    [InlineData(0.0)]
    [InlineData(1.0 / 3)]
    public void Masks_equal_drawing_one_number_at_a_time(double p)
    {
        ulong expectedState = 12345, state = 12345;
        float keep = (float)(1 / (1 - p));
        // Lengths around the 16-lane blocks, several calls in a row so the state carries over.
        foreach (int length in new[] { 0, 1, 15, 16, 17, 33, 1000, 32768 })
        {
            var expected = OneAtATime(length, ref expectedState, p, keep);
            var mask = new float[length];
            DropoutMask.Fill(mask, ref state, p, keep);
            Assert.Equal(expected, mask);
            Assert.Equal(expectedState, state);
        }
    }

    [Fact]
    public void A_probability_outside_0_to_1_is_refused()
    {
        ulong state = 0;
        Assert.Throws<ArgumentOutOfRangeException>(() => DropoutMask.Fill(new float[4], ref state, 1.0, 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => DropoutMask.Fill(new float[4], ref state, double.NaN, 1f));
    }
}
