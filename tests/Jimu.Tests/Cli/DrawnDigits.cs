namespace Jimu.Tests.Cli;

/// <summary>Digits drawn as a person draws them: thick strokes anywhere on a large canvas, as polylines.</summary>
public static class DrawnDigits
{
    /// <summary>A 7: the top bar, then the diagonal down (coordinates on a 200×240 canvas).</summary>
    public static readonly (double X, double Y)[][] Seven = [[(40, 50), (160, 50), (90, 200)]];

    /// <summary>A 3: two bows to the right, joined in the middle.</summary>
    public static readonly (double X, double Y)[][] Three =
        [[.. Bezier((50, 50), (180, 10), (170, 110), (90, 115)), .. Bezier((90, 115), (190, 120), (180, 230), (50, 200))]];

    public static IEnumerable<(double X, double Y)> Bezier((double X, double Y) a, (double X, double Y) b, (double X, double Y) c, (double X, double Y) d, int steps = 16)
    {
        for (int i = 0; i <= steps; i++)
        {
            double t = (double)i / steps, u = 1 - t;
            yield return (u * u * u * a.X + 3 * u * u * t * b.X + 3 * u * t * t * c.X + t * t * t * d.X,
                u * u * u * a.Y + 3 * u * u * t * b.Y + 3 * u * t * t * c.Y + t * t * t * d.Y);
        }
    }

    /// <summary>
    /// Grey bytes of a <paramref name="width"/>×<paramref name="height"/> canvas with the strokes drawn
    /// <paramref name="thickness"/> wide: black ink on white, or white on black.
    /// </summary>
    public static byte[] Render((double X, double Y)[][] strokes, int width = 200, int height = 240, double thickness = 14, bool darkOnLight = true)
    {
        var pixels = new byte[width * height];
        Array.Fill(pixels, darkOnLight ? (byte)255 : (byte)0);
        double r = thickness / 2;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double best = double.MaxValue;
                foreach (var stroke in strokes)
                    for (int i = 0; i + 1 < stroke.Length; i++) best = Math.Min(best, Distance(x + 0.5, y + 0.5, stroke[i], stroke[i + 1]));
                // One pixel of anti-aliasing at the stroke's edge.
                double ink = Math.Clamp(r + 0.5 - best, 0, 1);
                pixels[y * width + x] = (byte)Math.Round(255 * (darkOnLight ? 1 - ink : ink));
            }
        return pixels;
    }

    private static double Distance(double px, double py, (double X, double Y) a, (double X, double Y) b)
    {
        double dx = b.X - a.X, dy = b.Y - a.Y, len2 = dx * dx + dy * dy;
        double t = len2 == 0 ? 0 : Math.Clamp(((px - a.X) * dx + (py - a.Y) * dy) / len2, 0, 1);
        double ex = a.X + t * dx - px, ey = a.Y + t * dy - py;
        return Math.Sqrt(ex * ex + ey * ey);
    }
}
