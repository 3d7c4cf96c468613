namespace Jimu.Training;

/// <summary>Data augmentation applied to training images as they are batched.</summary>
public static class Augmentation
{
    /// <summary>
    /// Translates every plane of a C×H×W image by (dy, dx) pixels, filling with zeros:
    /// dst[c, h, w] = src[c, h − dy, w − dx] where that lies inside the image, else 0.
    /// </summary>
    public static void Translate(ReadOnlySpan<float> src, Span<float> dst, ReadOnlySpan<int> chw, int dy, int dx)
    {
        int c = chw[0], h = chw[1], w = chw[2];
        dst.Slice(0, c * h * w).Clear();
        int cols = w - Math.Abs(dx);
        if (cols <= 0) return;
        for (int ch = 0; ch < c; ch++)
            for (int row = Math.Max(dy, 0); row < Math.Min(h, h + dy); row++)
                src.Slice(ch * h * w + (row - dy) * w + Math.Max(-dx, 0), cols)
                    .CopyTo(dst.Slice(ch * h * w + row * w + Math.Max(dx, 0), cols));
    }
}
