using Jimu.Data;
using Jimu.Tensors;
using StbImageSharp;

namespace Jimu.Cli;

/// <summary>
/// Turns prediction inputs into grey images of the model's size, with pixels in [0, 1]:
/// PNG and JPEG are decoded by StbImageSharp to one grey channel (stb's luma: (77·R + 150·G + 29·B) / 256,
/// alpha dropped), then resized to the model's H×W by bilinear interpolation with half-pixel centres
/// (PyTorch's interpolate(mode="bilinear", align_corners=False)); an IDX images file contributes all of its images.
/// </summary>
public static class ImageInput
{
    /// <summary>
    /// One image ready for the model: where it came from, its C·H·W pixels, whether they were inverted, and whether
    /// a picture fed as it is looked like dark ink on a light background (MNIST is the opposite).
    /// </summary>
    public sealed record Item(string Name, float[] Pixels, bool Inverted = false, bool LightBackground = false);

    /// <summary>Largest image decoded by default: 2²⁵ pixels (33.5 megapixels, more than 8K UHD).</summary>
    public const long MaxPixels = 1L << 25;

    /// <summary>An image whose header claims more pixels than allowed: refused before decoding.</summary>
    public sealed class TooLargeException(string message) : JimuException(message);

    /// <summary>
    /// Decodes a PNG or JPEG to one grey byte per pixel (stb's luma, alpha dropped), or throws a
    /// <see cref="JimuException"/> naming <paramref name="name"/>. The header's size is checked against
    /// <paramref name="maxPixels"/> before any pixel is decoded (<see cref="TooLargeException"/>): a few kilobytes
    /// of PNG can claim gigabytes of pixels.
    /// </summary>
    /// <summary>
    /// A decoder's message without the control characters (NULs of a truncated PNG's chunk name) it may carry;
    /// "truncated or corrupt data" when nothing readable is left.
    /// </summary>
    internal static string Printable(string message)
    {
        string text = System.Text.RegularExpressions.Regex.Replace(message, @"\p{C}+", " ").Trim();
        return text.Length == 0 ? "truncated or corrupt data" : text;
    }

    public static (byte[] Grey, int Height, int Width) DecodeGrey(byte[] bytes, string name, long maxPixels = MaxPixels)
    {
        if (!IsImage(bytes))
            throw new JimuException($"{name}: not a PNG or JPEG image; use a valid PNG or JPEG file.");
        if (bytes[0] == 0xFF && !JpegSegmentsFit(bytes))
            throw new JimuException($"{name}: cannot decode the image (truncated or corrupt JPEG: a segment runs past the end of the file); use a valid PNG or JPEG file.");
        if (bytes[0] == 0x89 && !PngChunksFit(bytes))
            throw new JimuException($"{name}: cannot decode the image (truncated or corrupt PNG: a chunk runs past the end of the file); use a valid PNG or JPEG file.");
        // The size from the header, before any pixel is allocated: a 300-byte file may claim 50,000 × 2,000 pixels.
        ImageInfo? info;
        try { info = ImageInfo.FromStream(new MemoryStream(bytes, writable: false)); }
        catch (Exception e) { throw new JimuException($"{name}: cannot decode the image ({Printable(e.Message)}); use a valid PNG or JPEG file."); }
        if (info is not { Width: > 0, Height: > 0 } size)
            throw new JimuException($"{name}: cannot read the image header; use a valid PNG or JPEG file.");
        if ((long)size.Width * size.Height > maxPixels)
            throw new TooLargeException($"{name}: the image claims {size.Width}×{size.Height} = {(long)size.Width * size.Height / 1e6:F1} megapixels; at most {maxPixels / 1e6:F1} are accepted; scale it down first.");
        ImageResult img;
        try { img = ImageResult.FromMemory(bytes, ColorComponents.Grey); }
        catch (Exception e) { throw new JimuException($"{name}: cannot decode the image ({Printable(e.Message)}); use a valid PNG or JPEG file."); }
        return (img.Data, img.Height, img.Width);
    }

    /// <summary>How a picture becomes the model's input: plain (resize only) or <see cref="MnistStyle"/>.</summary>
    public enum Preprocess { None, Mnist }

    public static List<Item> Load(string path, int channels, int height, int width, bool invert, Preprocess preprocess = Preprocess.None)
    {
        if (!File.Exists(path)) throw new JimuException($"Input '{path}' does not exist.");
        return Decode(File.ReadAllBytes(path), path, channels, height, width, invert, preprocess);
    }

    /// <summary>Decodes the bytes of a PNG, JPEG or IDX images file; <paramref name="path"/> names it in errors and items.</summary>
    public static List<Item> Decode(byte[] bytes, string path, int channels, int height, int width, bool invert, Preprocess preprocess = Preprocess.None)
    {
        if (channels != 1) throw new JimuException($"This model expects {channels}-channel images; predict reads grey images only.");
        var items = new List<Item>();
        if (IsImage(bytes))
        {
            var (grey, h, w) = DecodeGrey(bytes, path);
            items.Add(FromGrey(path, grey, h, w, height, width, invert, preprocess));
        }
        else
        {
            Tensor images;
            try { images = IdxReader.ReadImages(new MemoryStream(bytes, writable: false), path); }
            catch (JimuException e) { throw new JimuException($"{e.Message} (inputs must be PNG, JPEG or IDX images files)"); }
            int n = images.Dim(0), h = images.Dim(2), w = images.Dim(3);
            for (int i = 0; i < n; i++)
            {
                var src = images.Data.AsSpan(i * h * w, h * w);
                var bytesI = new byte[h * w];
                for (int j = 0; j < bytesI.Length; j++) bytesI[j] = (byte)MathF.Round(src[j] * 255f);
                items.Add(FromGrey($"{path}#{i}", bytesI, h, w, height, width, invert, preprocess));
            }
        }
        return items;
    }

    /// <summary>
    /// One grey picture to the model's input. <see cref="Preprocess.Mnist"/> inverts a light background itself
    /// (<see cref="Item.Inverted"/> says so) and ignores <paramref name="invert"/>.
    /// </summary>
    public static Item FromGrey(string name, byte[] grey, int h, int w, int outH, int outW, bool invert, Preprocess preprocess)
    {
        if (preprocess == Preprocess.Mnist)
        {
            var src = new float[grey.Length];
            for (int i = 0; i < src.Length; i++) src[i] = grey[i] / 255f;
            var r = MnistStyle.Prepare(src, h, w, outH, outW);
            return new Item(name, r.Pixels, r.Inverted);
        }
        return new Item(name, Prepare(grey, h, w, outH, outW, invert), invert, LightBackground: !invert && LooksLight(grey, h, w));
    }

    private static bool LooksLight(byte[] grey, int h, int w)
    {
        var src = new float[grey.Length];
        for (int i = 0; i < src.Length; i++) src[i] = grey[i] / 255f;
        return MnistStyle.HasLightBackground(src, h, w);
    }

    /// <summary>Whether the bytes start like a PNG or a JPEG.</summary>
    public static bool IsImage(ReadOnlySpan<byte> b) =>
        b.Length >= 8 && b[0] == 0x89 && b[1] == 0x50 && b[2] == 0x4E && b[3] == 0x47 // PNG
        || b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF; // JPEG

    /// <summary>
    /// Walks a PNG's chunks (length, type, data, CRC) and checks that none claims more bytes than the file has.
    /// StbImageSharp skips such a chunk by seeking past the end of the stream and then loops forever, as it does
    /// for a JPEG segment (afl found both).
    /// </summary>
    public static bool PngChunksFit(ReadOnlySpan<byte> b)
    {
        long i = 8; // after the signature
        while (i + 8 <= b.Length)
        {
            uint length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b[(int)i..]);
            if (i + 12 + length > b.Length) return false;
            if (b[(int)i + 4] == (byte)'I' && b[(int)i + 5] == (byte)'E' && b[(int)i + 6] == (byte)'N' && b[(int)i + 7] == (byte)'D') return true;
            i += 12 + length;
        }
        return true; // no IEND: the decoder sees the end of the data itself
    }

    /// <summary>
    /// Walks a JPEG's marker segments and checks that none claims more bytes than the file has.
    /// StbImageSharp seeks past the end of the stream for such a segment and then never sees end-of-file:
    /// it would loop forever on a truncated JPEG header.
    /// </summary>
    public static bool JpegSegmentsFit(ReadOnlySpan<byte> b)
    {
        int i = 2; // after SOI (FF D8)
        while (i < b.Length)
        {
            if (b[i] != 0xFF) { i++; continue; } // entropy-coded data: FF is always followed by 00 or a marker
            while (i < b.Length && b[i] == 0xFF) i++; // fill bytes
            if (i >= b.Length) return true;
            byte marker = b[i++];
            if (marker == 0x00 || marker == 0x01 || marker is >= 0xD0 and <= 0xD7) continue; // stuffed byte, TEM, RSTn: no length
            if (marker == 0xD9) return true; // EOI
            if (i + 2 > b.Length) return false;
            int length = b[i] << 8 | b[i + 1];
            if (length < 2 || i + length > b.Length) return false;
            i += length;
        }
        return true;
    }

    /// <summary>Scales to [0, 1], optionally inverts (for dark digits on a light background), and resizes.</summary>
    public static float[] Prepare(byte[] grey, int h, int w, int outH, int outW, bool invert)
    {
        var src = new float[h * w];
        for (int i = 0; i < src.Length; i++) src[i] = invert ? 1f - grey[i] / 255f : grey[i] / 255f;
        return h == outH && w == outW ? src : ResizeBilinear(src, h, w, outH, outW);
    }

    /// <summary>Bilinear resize with half-pixel centres: source coordinate = (dst + 0.5)·in/out − 0.5, clamped at 0.</summary>
    public static float[] ResizeBilinear(float[] src, int h, int w, int outH, int outW)
    {
        var dst = new float[outH * outW];
        float sy = (float)h / outH, sx = (float)w / outW;
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
                float top = src[y0 * w + x0] * (1 - wx) + src[y0 * w + x1] * wx;
                float bottom = src[y1 * w + x0] * (1 - wx) + src[y1 * w + x1] * wx;
                dst[y * outW + x] = top * (1 - wy) + bottom * wy;
            }
        }
        return dst;
    }
}
