namespace Jimu.Data;

/// <summary>
/// The arithmetic that turns decoded pixels into a network's input, shared by training, evaluation, prediction and
/// serving (decoding itself lives in Jimu.Images): bytes → [0, 1] planes → bilinear resize.
/// </summary>
public static class ImagePixels
{
    /// <summary>
    /// Interleaved bytes [H, W, C] (as decoders give them) → planar floats [C, H, W] in [0, 1]: v / 255, or
    /// 1 − v / 255 with <paramref name="invert"/>.
    /// </summary>
    public static float[] ToPlanar(ReadOnlySpan<byte> interleaved, int height, int width, int channels, bool invert = false)
    {
        int plane = height * width;
        if (interleaved.Length != plane * channels)
            throw new ArgumentException($"{interleaved.Length} bytes do not make a {height}×{width} image of {channels} channel(s).", nameof(interleaved));
        var dst = new float[plane * channels];
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < channels; c++)
            {
                float v = interleaved[i * channels + c] / 255f;
                dst[c * plane + i] = invert ? 1f - v : v;
            }
        return dst;
    }

    /// <summary>
    /// Bilinear resize of every plane of [C, H, W] to [C, outH, outW] with half-pixel centres, as PyTorch's
    /// interpolate(mode="bilinear", align_corners=False): source coordinate = (dst + 0.5)·in/out − 0.5, clamped at 0
    /// and at the last row/column. Returns <paramref name="src"/> itself when the size is already right.
    /// </summary>
    public static float[] ResizeBilinear(float[] src, int channels, int h, int w, int outH, int outW)
    {
        if (h == outH && w == outW) return src;
        var dst = new float[channels * outH * outW];
        float sy = (float)h / outH, sx = (float)w / outW;
        for (int c = 0; c < channels; c++)
        {
            var s = src.AsSpan(c * h * w, h * w);
            var d = dst.AsSpan(c * outH * outW, outH * outW);
            for (int y = 0; y < outH; y++)
            {
                float fy = Math.Max((y + 0.5f) * sy - 0.5f, 0f);
                int y0 = Math.Min((int)fy, h - 1), y1 = Math.Min(y0 + 1, h - 1);
                float wy = fy - y0;
                for (int x = 0; x < outW; x++)
                {
                    float fx = Math.Max((x + 0.5f) * sx - 0.5f, 0f);
                    int x0 = Math.Min((int)fx, w - 1), x1 = Math.Min(x0 + 1, w - 1);
                    float wx = fx - x0;
                    float top = s[y0 * w + x0] * (1 - wx) + s[y0 * w + x1] * wx;
                    float bottom = s[y1 * w + x0] * (1 - wx) + s[y1 * w + x1] * wx;
                    d[y * outW + x] = top * (1 - wy) + bottom * wy;
                }
            }
        }
        return dst;
    }

    /// <summary>[0, 1] floats → bytes round(v·255) (clamped), for data sets held as bytes.</summary>
    public static void ToBytes(ReadOnlySpan<float> src, Span<byte> dst)
    {
        for (int i = 0; i < src.Length; i++) dst[i] = (byte)Math.Clamp(MathF.Round(src[i] * 255f), 0, 255);
    }
}
