using Jimu.Training;

namespace Jimu.Tests.Training;

public class AugmentationTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(0, -2)]
    [InlineData(-1, 2)]
    [InlineData(3, 3)]
    [InlineData(5, 0)]
    public void Translate_moves_every_plane_and_fills_with_zeros(int dy, int dx)
    {
        int c = 2, h = 4, w = 5;
        var src = Enumerable.Range(1, c * h * w).Select(i => (float)i).ToArray();
        var dst = Enumerable.Repeat(-1f, c * h * w).ToArray();
        Augmentation.Translate(src, dst, [c, h, w], dy, dx);
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int sy = y - dy, sx = x - dx;
                    float expected = sy >= 0 && sy < h && sx >= 0 && sx < w ? src[(ch * h + sy) * w + sx] : 0f;
                    Assert.Equal(expected, dst[(ch * h + y) * w + x]);
                }
    }
}
