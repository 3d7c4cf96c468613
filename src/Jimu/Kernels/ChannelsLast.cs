using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// NCHW images copied channels-last (NHWC) into a zero-padded frame, channels padded to a multiple of the vector width:
/// dst[n][top + i][left + j][c] = src[n][c][i][j], in a frame of [images][frameH][frameW][cPad]. A window of a
/// channels-last image is then a grid of contiguous channel vectors, which the Winograd transforms load directly.
/// </summary>
internal static unsafe class ChannelsLast
{
    /// <summary>Copies images [first, first + images) of <paramref name="src"/> into <paramref name="dst"/>, clearing the frame first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Copy(float[] src, int first, int images, int channels, int h, int w,
        int top, int left, int frameH, int frameW, int cPad, float* dst)
    {
        long frame = (long)frameH * frameW * cPad;
        new Span<float>(dst, checked((int)(images * frame))).Clear();
        long plane = (long)h * w;
        fixed (float* s = src)
            for (int n = 0; n < images; n++)
            {
                float* image = s + (long)(first + n) * channels * plane;
                for (int i = 0; i < h; i++)
                {
                    float* to = dst + n * frame + ((long)(top + i) * frameW + left) * cPad;
                    float* from = image + (long)i * w;
                    if (Transpose16x16.IsSupported && cPad % 16 == 0) CopyRowTransposed(from, plane, channels, w, to, cPad);
                    else
                        // Written in order, one pixel's channels after another; read at a stride of one plane.
                        for (int j = 0; j < w; j++, to += cPad)
                            for (int c = 0; c < channels; c++) to[c] = from[c * plane + j];
                }
            }
    }

    /// <summary>
    /// One image row, 16 channels × 16 pixels at a time: 16 (masked) loads along the row, a transpose in registers and
    /// 16 stores of a pixel's channels. Channels past the last are stored as zeros, as the frame's padding is.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyRowTransposed(float* from, long plane, int channels, int w, float* to, int cPad)
    {
        Vector512<float>* rows = stackalloc Vector512<float>[16];
        for (int j0 = 0; j0 < w; j0 += 16)
        {
            int width = Math.Min(16, w - j0);
            var mask = Transpose16x16.FirstLanes(width);
            for (int c0 = 0; c0 < channels; c0 += 16)
            {
                int count = Math.Min(16, channels - c0);
                float* first = from + c0 * plane + j0;
                int k = 0;
                for (; k < count; k++) rows[k] = Avx512F.MaskLoad(first + k * plane, mask, Vector512<float>.Zero);
                for (; k < 16; k++) rows[k] = Vector512<float>.Zero;
                Transpose16x16.Transpose(rows, rows);
                float* pixel = to + (long)j0 * cPad + c0;
                for (int j = 0; j < width; j++) rows[j].Store(pixel + (long)j * cPad);
            }
        }
    }
}
