using Jimu.Data;

namespace Jimu.Tests.Data;

public class MnistStyleTests
{
    private static readonly Lazy<Dataset> Test = new(() => MnistFolder.LoadSplit(RepoPaths.MnistSample, "t10k"));

    private static float[] Digit(int i) => Test.Value.Images.Sample(i).ToArray();

    [Fact]
    public void ResizeArea_AveragesBlocksAndKeepsTheSameSize()
    {
        float[] src = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
        Assert.Equal(src, MnistStyle.ResizeArea(src, 4, 0, 0, 4, 4, 4, 4));
        Assert.Equal([3.5f, 5.5f, 11.5f, 13.5f], MnistStyle.ResizeArea(src, 4, 0, 0, 4, 4, 2, 2));
        // A 3-wide region to 2: the middle column is split half and half.
        Assert.Equal([(2 + 0.5f * 3) / 1.5f, (0.5f * 3 + 4) / 1.5f], MnistStyle.ResizeArea(src, 4, 0, 1, 1, 3, 1, 2), new FloatEq(1e-6f));
    }

    [Fact]
    public void Blank_GivesABlackFrame()
    {
        var r = MnistStyle.Prepare(new float[50 * 40], 50, 40);
        Assert.True(r.Blank);
        Assert.All(r.Pixels, v => Assert.Equal(0f, v));
        var white = MnistStyle.Prepare(Enumerable.Repeat(1f, 30 * 30).ToArray(), 30, 30);
        Assert.True(white.Blank && white.Inverted);
    }

    [Fact]
    public void DarkBarOnWhite_IsInvertedScaledTo20AndCentred()
    {
        // A dark 60×12 bar at the top-left of a white 200×100 picture.
        int h = 200, w = 100;
        var img = Enumerable.Repeat(1f, h * w).ToArray();
        for (int y = 10; y < 70; y++) for (int x = 5; x < 17; x++) img[y * w + x] = 0f;
        var r = MnistStyle.Prepare(img, h, w);
        Assert.True(r.Inverted);
        Assert.False(r.Blank);
        var (top, bottom, left, right) = Box(r.Pixels);
        Assert.Equal(20, bottom - top + 1); // the long side fills 20 pixels
        Assert.Equal(4, right - left + 1); // 12·20/60
        Assert.Equal((4, 23, 12, 15), (top, bottom, left, right)); // centre of mass on (14, 14)
        Assert.All(r.Pixels, v => Assert.True(v is 0f or 1f));
    }

    [Fact]
    public void MnistDigits_ComeOutInMnistsOwnFrame()
    {
        // MNIST digits were made this way: the same procedure changes them little.
        for (int i = 0; i < 20; i++)
        {
            var d = Digit(i);
            var r = MnistStyle.Prepare(d, 28, 28);
            Assert.False(r.Inverted);
            var (cy, cx) = CentreOfMass(r.Pixels);
            Assert.InRange(cy, 13.5, 14.5);
            Assert.InRange(cx, 13.5, 14.5);
            var (top, bottom, left, right) = Box(r.Pixels);
            Assert.Equal(20, Math.Max(bottom - top, right - left) + 1);
            Assert.True(MeanAbs(d, r.Pixels) < 0.12, $"digit {i}: mean difference {MeanAbs(d, r.Pixels)}");
        }
    }

    [Fact]
    public void ADigitDrawnLargeOffCentreInDarkInk_ComesOutAsTheDigit()
    {
        // Digit 0 of the test split, scaled 5× by pixel replication, inverted to dark ink, and put at the
        // bottom-right of a white 300×220 picture: the result matches the digit prepared the same way.
        var d = Digit(0);
        int h = 300, w = 220, s = 5, oy = 150, ox = 70;
        var img = Enumerable.Repeat(1f, h * w).ToArray();
        for (int y = 0; y < 28 * s; y++)
            for (int x = 0; x < 28 * s; x++)
                img[(oy + y) * w + ox + x] = 1f - d[y / s * 28 + x / s];
        var big = MnistStyle.Prepare(img, h, w);
        var small = MnistStyle.Prepare(d, 28, 28);
        Assert.True(big.Inverted);
        Assert.True(MeanAbs(big.Pixels, small.Pixels) < 0.05, $"mean difference {MeanAbs(big.Pixels, small.Pixels)}");
        Assert.True(MeanAbs(big.Pixels, d) < 0.1, $"mean difference to the MNIST digit {MeanAbs(big.Pixels, d)}");
    }

    [Fact]
    public void BadSizes_Throw()
    {
        Assert.Throws<ArgumentException>(() => MnistStyle.Prepare(new float[10], 3, 3));
        Assert.Throws<ArgumentException>(() => MnistStyle.Prepare(new float[9], 3, 3, 2, 2));
    }

    private static double MeanAbs(float[] a, float[] b) => a.Zip(b).Average(p => Math.Abs(p.First - p.Second));

    private static (int Top, int Bottom, int Left, int Right) Box(float[] p)
    {
        int top = 28, bottom = -1, left = 28, right = -1;
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
                if (p[y * 28 + x] > MnistStyle.InkThreshold)
                {
                    top = Math.Min(top, y); bottom = Math.Max(bottom, y); left = Math.Min(left, x); right = Math.Max(right, x);
                }
        return (top, bottom, left, right);
    }

    private static (double Y, double X) CentreOfMass(float[] p)
    {
        double m = 0, my = 0, mx = 0;
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++) { m += p[y * 28 + x]; my += p[y * 28 + x] * (y + 0.5); mx += p[y * 28 + x] * (x + 0.5); }
        return (my / m, mx / m);
    }

    private sealed class FloatEq(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(float v) => 0;
    }
}
