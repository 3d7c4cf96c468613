using System.Runtime.Intrinsics;
using Jimu.Kernels;

namespace Jimu.Tests.Kernels;

public unsafe class ChannelsLastTests
{
    [Fact]
    public void Transpose16x16_swaps_rows_and_lanes()
    {
        Assert.SkipUnless(Transpose16x16.IsSupported, "the 16×16 register transpose needs AVX-512");
        var rows = stackalloc Vector512<float>[16];
        var dst = stackalloc Vector512<float>[16];
        for (int i = 0; i < 16; i++)
            rows[i] = Vector512.Create(Enumerable.Range(0, 16).Select(j => (float)(100 * i + j)).ToArray());
        Transpose16x16.Transpose(rows, dst);
        for (int j = 0; j < 16; j++)
            for (int i = 0; i < 16; i++) Assert.Equal(100 * i + j, dst[j][i]);
        Transpose16x16.Transpose(rows, rows);   // in place
        for (int j = 0; j < 16; j++) Assert.Equal(dst[j], rows[j]);
        for (int count = 0; count <= 16; count++)
            for (int i = 0; i < 16; i++)
                Assert.Equal(i < count ? -1 : 0, BitConverter.SingleToInt32Bits(Transpose16x16.FirstLanes(count)[i]));
    }

    [Theory]
    [InlineData(32, 14, 14, 2, 2, 32)]   // conv2's input: two full channel blocks, a 14-pixel row
    [InlineData(5, 3, 37, 1, 0, 16)]     // a row longer than 16 pixels, channels short of a block
    [InlineData(17, 2, 16, 0, 3, 32)]    // one channel past a block, exactly 16 pixels
    [InlineData(1, 1, 1, 4, 4, 16)]
    public void Copy_puts_each_value_in_its_channels_last_place_and_zeros_elsewhere(int channels, int h, int w, int top, int left, int cPad)
    {
        int images = 3, first = 1, frameH = h + top + 2, frameW = w + left + 1;
        var rng = new Random(channels * 100 + w);
        var src = new float[(first + images) * channels * h * w];
        for (int i = 0; i < src.Length; i++) src[i] = (float)rng.NextDouble() + 1;   // never 0, so a missed value shows
        long frame = (long)frameH * frameW * cPad;
        var buffer = new AlignedBuffer(images * frame);
        new Span<float>(buffer.Pointer, (int)(images * frame)).Fill(float.NaN);   // stale contents must be cleared
        ChannelsLast.Copy(src, first, images, channels, h, w, top, left, frameH, frameW, cPad, buffer.Pointer);
        for (int n = 0; n < images; n++)
            for (int fy = 0; fy < frameH; fy++)
                for (int fx = 0; fx < frameW; fx++)
                    for (int c = 0; c < cPad; c++)
                    {
                        int i = fy - top, j = fx - left;
                        float expected = i >= 0 && i < h && j >= 0 && j < w && c < channels
                            ? src[(((first + n) * channels + c) * h + i) * w + j] : 0f;
                        Assert.Equal(expected, buffer.Pointer[n * frame + ((long)fy * frameW + fx) * cPad + c]);
                    }
    }
}
