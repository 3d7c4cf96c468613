namespace Jimu.Kernels;

/// <summary>
/// NCHW images copied channels-last (NHWC) into a zero-padded frame, channels padded to a multiple of the vector width:
/// dst[n][top + i][left + j][c] = src[n][c][i][j], in a frame of [images][frameH][frameW][cPad]. A window of a
/// channels-last image is then a grid of contiguous channel vectors, which the Winograd transforms load directly.
/// </summary>
internal static unsafe class ChannelsLast
{
    /// <summary>Copies images [first, first + images) of <paramref name="src"/> into <paramref name="dst"/>, clearing the frame first.</summary>
    public static void Copy(float[] src, int first, int images, int channels, int h, int w,
        int top, int left, int frameH, int frameW, int cPad, float* dst)
    {
        long frame = (long)frameH * frameW * cPad;
        new Span<float>(dst, checked((int)(images * frame))).Clear();
        fixed (float* s = src)
            for (int n = 0; n < images; n++)
            {
                float* image = s + (long)(first + n) * channels * h * w;
                long plane = (long)h * w;
                for (int i = 0; i < h; i++)
                {
                    // Written in order, one pixel's channels after another; read at a stride of one plane.
                    float* to = dst + n * frame + ((long)(top + i) * frameW + left) * cPad;
                    float* from = image + (long)i * w;
                    for (int j = 0; j < w; j++, to += cPad)
                        for (int c = 0; c < channels; c++) to[c] = from[c * plane + j];
                }
            }
    }
}
