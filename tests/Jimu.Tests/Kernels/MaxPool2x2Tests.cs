using Jimu.Kernels;
using Jimu.Layers;

namespace Jimu.Tests.Kernels;

public class MaxPool2x2Tests
{
    // Output rows of 17 (the 512-bit blocks, the last overlapping), 14 (256-bit), 7 and 4 (128-bit), 2 and 1 (scalar),
    // so that each width the machine has runs, with and without the fused ReLU.
    [Theory]
    [InlineData(1, 4, 4, false)]
    [InlineData(3, 28, 28, false)]
    [InlineData(3, 28, 28, true)]
    [InlineData(2, 34, 35, false)]
    [InlineData(2, 34, 35, true)]
    [InlineData(4, 14, 14, true)]
    [InlineData(2, 7, 9, false)]   // odd sizes: the last row/column is dropped
    [InlineData(2, 7, 9, true)]
    [InlineData(5, 2, 2, false)]
    [InlineData(5, 3, 5, true)]
    public void Matches_the_general_loops_including_ties_and_NaN(int planes, int h, int w, bool relu)
    {
        var rng = new Random(planes * 100 + h);
        var x = new float[planes * h * w];
        // Few distinct values, so that ties are common; some NaN.
        for (int i = 0; i < x.Length; i++) x[i] = rng.Next(20) == 0 ? float.NaN : rng.Next(4) - 1;
        var g = ConvGeometry.Create("test", 1, h, w, 2, 2, 2, 2, Padding.Zero);
        int outLen = planes * g.OutPlane;
        float[] y1 = new float[outLen], y2 = new float[outLen];
        int[] a1 = new int[outLen], a2 = new int[outLen];
        MaxPool2x2.Forward(x, g, planes, y1, a1, relu);
        PoolDirect.MaxForward(x, g, planes, y2, a2);
        if (relu) PoolDirect.ReluOfMax(y2, a2);
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
