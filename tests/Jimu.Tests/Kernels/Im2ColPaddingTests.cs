using Jimu.Kernels;
using Jimu.Layers;

namespace Jimu.Tests.Kernels;

/// <summary>
/// Windows wider than the input (window columns that miss the input entirely) used to throw in the stride-1 path of
/// <see cref="Im2Col.Unfold"/> and <see cref="Im2Col.Fold"/>: these check the values and the adjoint identity
/// ⟨Unfold(x), c⟩ = ⟨x, Fold(c)⟩ on such geometries.
/// </summary>
public class Im2ColPaddingTests
{
    [Fact]
    public void UnfoldsAOnePixelImageUnderAFiveByFiveSameWindow()
    {
        var g = ConvGeometry.Create("test", 1, 1, 1, 5, 5, 1, 1, Padding.Same);
        Assert.Equal((2, 2, 2, 2, 1, 1), (g.PadTop, g.PadBottom, g.PadLeft, g.PadRight, g.OutH, g.OutW));
        var col = new float[25];
        col.AsSpan().Fill(-1);
        Im2Col.Unfold([7f], g, col);
        for (int r = 0; r < 25; r++) Assert.Equal(r == 12 ? 7f : 0f, col[r]);
        var dx = new float[1];
        Im2Col.Fold(Enumerable.Range(1, 25).Select(i => (float)i).ToArray(), g, dx);
        Assert.Equal(13f, dx[0]);
    }

    [Theory]
    [InlineData(1, 1, 5, 5, 2, 2, 2, 2)]
    [InlineData(2, 3, 4, 6, 0, 2, 4, 1)]
    [InlineData(3, 2, 3, 5, 1, 1, 0, 4)]
    [InlineData(2, 4, 2, 4, 0, 0, 3, 0)]
    public void UnfoldAndFoldAreAdjoint(int inH, int inW, int kh, int kw, int pt, int pb, int pl, int pr)
    {
        var g = ConvGeometry.Create("test", 2, inH, inW, kh, kw, 1, 1, Padding.Explicit(pt, pb, pl, pr));
        var rng = new Random(inH * 31 + inW);
        var x = Enumerable.Range(0, g.InSize).Select(_ => (float)rng.NextDouble()).ToArray();
        var c = Enumerable.Range(0, g.PatchSize * g.OutPlane).Select(_ => (float)rng.NextDouble()).ToArray();
        var col = new float[c.Length];
        Im2Col.Unfold(x, g, col);
        var dx = new float[x.Length];
        Im2Col.Fold(c, g, dx);
        double left = col.Zip(c, (a, b) => (double)a * b).Sum(), right = x.Zip(dx, (a, b) => (double)a * b).Sum();
        Assert.Equal(left, right, 4);
    }
}
