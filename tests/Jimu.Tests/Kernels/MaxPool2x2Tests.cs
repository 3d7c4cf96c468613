using Jimu.Kernels;
using Jimu.Layers;

namespace Jimu.Tests.Kernels;

public class MaxPool2x2Tests
{
    [Theory]
    [InlineData(1, 4, 4)]
    [InlineData(3, 28, 28)]
    [InlineData(2, 7, 9)]   // odd sizes: the last row/column is dropped
    [InlineData(5, 2, 2)]
    public void Matches_the_general_loops_including_ties_and_NaN(int planes, int h, int w)
    {
        var rng = new Random(planes * 100 + h);
        var x = new float[planes * h * w];
        // Few distinct values, so that ties are common; some NaN.
        for (int i = 0; i < x.Length; i++) x[i] = rng.Next(20) == 0 ? float.NaN : rng.Next(4);
        var g = ConvGeometry.Create("test", 1, h, w, 2, 2, 2, 2, Padding.Zero);
        int outLen = planes * g.OutPlane;
        float[] y1 = new float[outLen], y2 = new float[outLen];
        int[] a1 = new int[outLen], a2 = new int[outLen];
        MaxPool2x2.Forward(x, g, planes, y1, a1);
        PoolDirect.MaxForward(x, g, planes, y2, a2);
        Assert.Equal(a2, a1);
        Assert.Equal(y2, y1);
    }

    [Fact]
    public void Applies_only_to_unpadded_2x2_stride_2()
    {
        Assert.True(MaxPool2x2.Applies(ConvGeometry.Create("t", 1, 4, 4, 2, 2, 2, 2, Padding.Zero)));
        Assert.False(MaxPool2x2.Applies(ConvGeometry.Create("t", 1, 4, 4, 2, 2, 1, 1, Padding.Zero)));
        Assert.False(MaxPool2x2.Applies(ConvGeometry.Create("t", 1, 5, 5, 2, 2, 2, 2, Padding.Same)));
        Assert.False(MaxPool2x2.Applies(ConvGeometry.Create("t", 1, 6, 6, 3, 3, 2, 2, Padding.Zero)));
    }
}
