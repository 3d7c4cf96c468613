namespace Jimu.Data;

/// <summary>
/// Prepares a free-form grey image of one digit as MNIST's were made (LeCun et al.): the ink's bounding box scaled,
/// keeping its aspect ratio, to fit a 20×20 box (anti-aliased by area averaging), then placed in the 28×28 frame so
/// that its centre of mass falls on the frame's centre. Ink is light on dark; a light background is detected and
/// inverted first. For another frame size H×W the box is round(20/28 of it).
/// </summary>
public static class MnistStyle
{
    /// <summary>Ink threshold: pixels above this (after inversion, in [0, 1]) count for the bounding box.</summary>
    public const float InkThreshold = 0.1f;

    /// <summary>What <see cref="Prepare"/> did, for a user-facing note.</summary>
    public readonly record struct Result(float[] Pixels, bool Inverted, bool Blank);

    /// <summary>
    /// True when the image's one-pixel border averages above 0.5: dark ink on light paper, the opposite of MNIST.
    /// </summary>
    public static bool HasLightBackground(ReadOnlySpan<float> grey, int height, int width)
    {
        double sum = 0; int count = 0;
        for (int x = 0; x < width; x++)
        {
            sum += grey[x]; count++;
            if (height > 1) { sum += grey[(height - 1) * width + x]; count++; }
        }
        for (int y = 1; y < height - 1; y++)
        {
            sum += grey[y * width]; count++;
            if (width > 1) { sum += grey[y * width + width - 1]; count++; }
        }
        return sum / count > 0.5;
    }

    /// <summary>
    /// <paramref name="grey"/>: height×width values in [0, 1]. Returns outHeight×outWidth values in [0, 1], light
    /// ink on black; an image without ink gives an all-black frame (<see cref="Result.Blank"/>).
    /// </summary>
    public static Result Prepare(ReadOnlySpan<float> grey, int height, int width, int outHeight = 28, int outWidth = 28)
    {
        if (height < 1 || width < 1 || grey.Length != height * width)
            throw new ArgumentException($"Expected {height}×{width} = {height * width} grey values, got {grey.Length}.");
        if (outHeight < 4 || outWidth < 4)
            throw new ArgumentException($"MNIST-style preprocessing needs a frame of at least 4×4, got {outHeight}×{outWidth}.");
        bool invert = HasLightBackground(grey, height, width);
        var ink = new float[grey.Length];
        for (int i = 0; i < ink.Length; i++) ink[i] = Math.Clamp(invert ? 1f - grey[i] : grey[i], 0f, 1f);

        // Bounding box of the ink.
        int top = height, bottom = -1, left = width, right = -1;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                if (ink[y * width + x] > InkThreshold)
                {
                    top = Math.Min(top, y); bottom = Math.Max(bottom, y);
                    left = Math.Min(left, x); right = Math.Max(right, x);
                }
        var frame = new float[outHeight * outWidth];
        if (bottom < 0) return new Result(frame, invert, Blank: true);

        // Scale the box so that its longer side fills the 20/28 box.
        int boxH = bottom - top + 1, boxW = right - left + 1;
        int box = (int)MathF.Round(Math.Min(outHeight, outWidth) * 20f / 28f);
        float scale = (float)box / Math.Max(boxH, boxW);
        int h = Math.Clamp((int)MathF.Round(boxH * scale), 1, box), w = Math.Clamp((int)MathF.Round(boxW * scale), 1, box);
        var digit = ResizeArea(ink, width, top, left, boxH, boxW, h, w);

        // Centre of mass (pixel centres at i + ½) onto the frame's centre; the digit stays wholly inside the frame.
        double mass = 0, my = 0, mx = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                float v = digit[y * w + x];
                mass += v; my += v * (y + 0.5); mx += v * (x + 0.5);
            }
        int offY = Math.Clamp((int)Math.Round(outHeight / 2.0 - my / mass), 0, outHeight - h);
        int offX = Math.Clamp((int)Math.Round(outWidth / 2.0 - mx / mass), 0, outWidth - w);
        for (int y = 0; y < h; y++)
            digit.AsSpan(y * w, w).CopyTo(frame.AsSpan((offY + y) * outWidth + offX, w));
        return new Result(frame, invert, Blank: false);
    }

    /// <summary>
    /// Area-averaging resize of the region [top, top+regionH) × [left, left+regionW) of <paramref name="src"/>
    /// (row length <paramref name="srcWidth"/>) to outH×outW: each output pixel is the mean of the source area it
    /// covers, with partial pixels weighted by their covered fraction (anti-aliased when shrinking).
    /// </summary>
    public static float[] ResizeArea(ReadOnlySpan<float> src, int srcWidth, int top, int left, int regionH, int regionW, int outH, int outW)
    {
        var dst = new float[outH * outW];
        double sy = (double)regionH / outH, sx = (double)regionW / outW;
        for (int oy = 0; oy < outH; oy++)
        {
            double y0 = oy * sy, y1 = y0 + sy;
            for (int ox = 0; ox < outW; ox++)
            {
                double x0 = ox * sx, x1 = x0 + sx, sum = 0;
                for (int y = (int)y0; y < Math.Min((int)Math.Ceiling(y1), regionH); y++)
                {
                    double wy = Math.Min(y + 1, y1) - Math.Max(y, y0);
                    for (int x = (int)x0; x < Math.Min((int)Math.Ceiling(x1), regionW); x++)
                    {
                        double wx = Math.Min(x + 1, x1) - Math.Max(x, x0);
                        sum += wy * wx * src[(top + y) * srcWidth + left + x];
                    }
                }
                dst[oy * outW + ox] = (float)(sum / (sy * sx));
            }
        }
        return dst;
    }
}
