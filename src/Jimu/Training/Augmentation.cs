namespace Jimu.Training;

/// <summary>Data augmentation applied to training images as they are batched (never to a test split).</summary>
public static class Augmentation
{
    /// <summary>
    /// The training transforms in a fixed order, each drawing from <paramref name="rng"/> only when on (so a seed
    /// gives the same images): shift by (dy, dx) ∈ [−shift, shift]², then RandomCrop with zero padding
    /// <paramref name="cropPadding"/>, then a horizontal flip with probability 1/2. With every transform off,
    /// dst = src.
    /// </summary>
    public static void Apply(Span<float> src, Span<float> dst, ReadOnlySpan<int> chw, int shift, int cropPadding, bool flip, ref SplitMix64 rng)
    {
        int per = chw[0] * chw[1] * chw[2];
        src = src[..per]; dst = dst[..per];
        src.CopyTo(dst);
        if (shift > 0)
        {
            int dy = rng.Next(-shift, shift + 1), dx = rng.Next(-shift, shift + 1);
            dst.CopyTo(src);
            Translate(src, dst, chw, dy, dx);
        }
        if (cropPadding > 0)
        {
            // Crop window top-left (i, j) ∈ [0, 2p]² of the padded image: out[h, w] = in[h + i − p, w + j − p].
            int i = rng.Next(2 * cropPadding + 1), j = rng.Next(2 * cropPadding + 1);
            dst.CopyTo(src);
            Translate(src, dst, chw, cropPadding - i, cropPadding - j);
        }
        if (flip && rng.Next(2) == 1) FlipHorizontal(dst, chw);
    }

    /// <summary>Mirrors every row of a C×H×W image in place: x[c, h, w] ↔ x[c, h, W − 1 − w].</summary>
    public static void FlipHorizontal(Span<float> image, ReadOnlySpan<int> chw)
    {
        int rows = chw[0] * chw[1], w = chw[2];
        for (int r = 0; r < rows; r++) image.Slice(r * w, w).Reverse();
    }

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
