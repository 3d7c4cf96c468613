using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Jimu.Kernels;

/// <summary>
/// NCHW images copied channels-last (NHWC) into a zero-padded frame, channels padded to a multiple of the vector width:
/// dst[n][top + i][left + j][c] = src[n][c][i][j], in a frame of [images][frameH][frameW][cPad]. A window of a
/// channels-last image is then a grid of contiguous channel vectors, which the Winograd transforms load directly.
/// Written once over the vector width (<see cref="ISimdWidth{V}"/>): L channels × L pixels are transposed in registers.
/// </summary>
[SkipLocalsInit]
internal static unsafe class ChannelsLast
{
    /// <summary>
    /// Copies images [first, first + images) of <paramref name="src"/> into <paramref name="dst"/> and zeroes the rest of
    /// each frame (the padding around the image, and channels [⌈C⌉_L, cPad) where the stride has room past the last
    /// vector); <paramref name="cPad"/> is a multiple of the width's lanes L.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Copy<S, V>(float[] src, int first, int images, int channels, int h, int w,
        int top, int left, int frameH, int frameW, int cPad, float* dst)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        if (cPad % S.Lanes != 0 || cPad < channels)
            throw new ArgumentException($"The channel stride {cPad} must hold the {channels} channels and be a multiple of {S.Lanes}.", nameof(cPad));
        long frame = (long)frameH * frameW * cPad, row = (long)frameW * cPad, plane = (long)h * w;
        // Only what the image does not cover is cleared (clearing whole frames cost as much as the copy itself).
        int written = (channels + S.Lanes - 1) / S.Lanes * S.Lanes, bottom = Math.Min(frameH, top + h), right = Math.Min(frameW, left + w);
        fixed (float* s = src)
            for (int n = 0; n < images; n++)
            {
                float* to = dst + n * frame;
                Clear(to, top * row);
                Clear(to + bottom * row, (frameH - bottom) * row);
                for (int i = top; i < bottom; i++)
                {
                    float* r = to + i * row;
                    Clear(r, (long)left * cPad);
                    Clear(r + (long)right * cPad, (long)(frameW - right) * cPad);
                    if (written < cPad)
                        for (int j = left; j < right; j++) Clear(r + (long)j * cPad + written, cPad - written);
                }
                float* image = s + (long)(first + n) * channels * plane;
                // A group of L channels at a time, down its rows: L streams of reads rather than all C at once, each
                // row prefetched a few rows ahead (the planes come from memory, and the hardware follows few streams).
                for (int c0 = 0; c0 < channels; c0 += S.Lanes)
                    for (int i = 0; i < h; i++)
                        CopyRow<S, V>(image + c0 * plane + (long)i * w, plane, Math.Min(S.Lanes, channels - c0), w,
                            to + ((long)(top + i) * frameW + left) * cPad + c0, cPad, i + PrefetchRows < h ? PrefetchRows * w : 0);
            }
    }

    private static void Clear(float* p, long count)
    {
        if (count > 0) new Span<float>(p, checked((int)count)).Clear();
    }

    /// <summary>Rows ahead of the one copied that <see cref="CopyRow"/> asks the memory for (x86 only).</summary>
    private const int PrefetchRows = 4;

    /// <summary>
    /// One image row of <paramref name="count"/> ≤ L channels, L pixels at a time: the (partial) loads along the row, a
    /// transpose in registers and a store of each pixel's L channels. Channels past the last are stored as zeros, as the
    /// frame's padding is. With <paramref name="ahead"/> &gt; 0 the same row that many floats further is prefetched.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyRow<S, V>(float* from, long plane, int count, int w, float* to, int cPad, int ahead)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        int lanes = S.Lanes;
        V* rows = stackalloc V[lanes];
        if (Sse.IsSupported && ahead > 0)
            for (int k = 0; k < count; k++)
            {
                Sse.Prefetch0(from + k * plane + ahead);
                Sse.Prefetch0(from + k * plane + ahead + w - 1);
            }
        for (int j0 = 0; j0 < w; j0 += lanes)
        {
            int width = Math.Min(lanes, w - j0);
            float* first = from + j0;
            int k = 0;
            for (; k < count; k++) rows[k] = S.LoadFirst(first + k * plane, width);
            for (; k < lanes; k++) rows[k] = S.Zero;
            S.Transpose((float*)rows);
            float* pixel = to + (long)j0 * cPad;
            for (int j = 0; j < width; j++) S.Store(pixel + (long)j * cPad, rows[j]);
        }
    }
}
