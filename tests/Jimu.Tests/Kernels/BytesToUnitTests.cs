using Jimu.Kernels;
using Jimu.Training;

namespace Jimu.Tests.Kernels;

/// <summary>The vectorised byte → [0, 1] conversion that feeds image-folder batches, and the augmentation generator.</summary>
public class BytesToUnitTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(23)]
    [InlineData(784)]
    [InlineData(1000)]
    public void EqualsTheScalarDivision_BitForBit(int length)
    {
        var src = new byte[length + 3];
        for (int i = 0; i < src.Length; i++) src[i] = (byte)(i * 37 + 11);
        var dst = new float[length + 5];
        dst.AsSpan().Fill(-1);
        Elementwise.BytesToUnit(src.AsSpan(3, length), dst.AsSpan(2));
        for (int i = 0; i < length; i++) Assert.Equal(src[i + 3] / 255f, dst[i + 2]);
        Assert.Equal([-1f, -1f], dst[..2]);
        Assert.Equal(-1f, dst[length + 2]); // nothing written past the bytes
    }

    [Fact]
    public void SplitMix64_IsReproducible_InRange_AndRoughlyUniform()
    {
        var a = new SplitMix64(42);
        var b = new SplitMix64(42);
        var c = new SplitMix64(43);
        var counts = new int[5];
        bool differs = false;
        for (int i = 0; i < 5000; i++)
        {
            int x = a.Next(-2, 3);
            Assert.Equal(x, b.Next(-2, 3));
            differs |= x != c.Next(-2, 3);
            Assert.InRange(x, -2, 2);
            counts[x + 2]++;
        }
        Assert.True(differs);
        Assert.All(counts, n => Assert.InRange(n, 850, 1150));
    }
}
