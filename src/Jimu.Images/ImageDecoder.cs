using Jimu.Data;
using StbImageSharp;

namespace Jimu.Images;

/// <summary>
/// Decodes PNG, JPEG, BMP and GIF (its first frame) with StbImageSharp, and turns a picture into a network's
/// input with <see cref="Prepare"/>: the one function that training, evaluation, prediction and serving share.
/// </summary>
public static class ImageDecoder
{
    /// <summary>File extensions taken as images (any case), as torchvision's ImageFolder does for these formats.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg", ".bmp", ".gif"];

    public static bool HasImageExtension(string path) =>
        Extensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether the bytes start like a PNG, JPEG, BMP or GIF.</summary>
    public static bool IsImage(ReadOnlySpan<byte> b) =>
        b.Length >= 8 && b[0] == 0x89 && b[1] == 0x50 && b[2] == 0x4E && b[3] == 0x47 // PNG
        || b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF // JPEG
        || b.Length >= 26 && b[0] == (byte)'B' && b[1] == (byte)'M' // BMP
        || b.Length >= 6 && b[0] == (byte)'G' && b[1] == (byte)'I' && b[2] == (byte)'F' && b[3] == (byte)'8'; // GIF

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

    /// <summary>A decoded picture: interleaved bytes [H, W, Channels], and how many channels the file itself has (1–4).</summary>
    public sealed record Decoded(byte[] Pixels, int Height, int Width, int Channels, int SourceChannels)
    {
        /// <summary>Whether the file holds colour (RGB or RGBA) rather than grey (with or without alpha).</summary>
        public bool Colour => SourceChannels >= 3;
    }

    /// <summary>
    /// Checks the bytes before anything is decoded: an image format (PNG, JPEG, BMP, GIF) whose chunks or segments
    /// all fit in the file. An <see cref="ImageDecodeException"/> naming <paramref name="name"/> otherwise.
    /// </summary>
    public static void CheckStructure(byte[] bytes, string name)
    {
        if (!IsImage(bytes))
            throw new ImageDecodeException(name, $"{name}: not a PNG or JPEG image (nor BMP or GIF); use an image file.");
        if (bytes[0] == 0xFF && !JpegSegmentsFit(bytes))
            throw new ImageDecodeException(name, $"{name}: cannot decode the image (truncated or corrupt JPEG: a segment runs past the end of the file); replace the file.");
        if (bytes[0] == 0x89 && !PngChunksFit(bytes))
            throw new ImageDecodeException(name, $"{name}: cannot decode the image (truncated or corrupt PNG: a chunk runs past the end of the file); replace the file.");
    }

    /// <summary>
    /// The image's width, height and channels (1–4) from its header, after <see cref="CheckStructure"/>, without
    /// decoding a pixel: a few hundred bytes can claim gigabytes of pixels, so callers check the size first. An
    /// <see cref="ImageDecodeException"/> naming <paramref name="name"/> when the header cannot be read.
    /// </summary>
    public static (int Width, int Height, int Channels) Header(byte[] bytes, string name)
    {
        CheckStructure(bytes, name);
        ImageInfo? info;
        try { info = ImageInfo.FromStream(new MemoryStream(bytes, writable: false)); }
        catch (Exception e) { throw new ImageDecodeException(name, $"{name}: cannot decode the image ({Printable(e.Message)}); replace the file."); }
        if (info is not { Width: > 0, Height: > 0 } i)
            throw new ImageDecodeException(name, $"{name}: cannot decode the image (no readable header); replace the file.");
        return (i.Width, i.Height, (int)i.ColorComponents);
    }

    /// <summary>
    /// The largest image an image folder decodes by default: 100 megapixels, above any phone photo's usual 12–50 MP,
    /// far below what a crafted header can claim (a 60-byte PNG may claim 4 gigapixels: 16 GB of RGB once decoded).
    /// </summary>
    public const long DefaultMaxPixels = 100_000_000;

    /// <summary>
    /// <see cref="Header"/>, then refuses more than <paramref name="maxPixels"/> pixels with an
    /// <see cref="ImageTooLargeException"/> (an <see cref="ImageDecodeException"/>, so a folder can skip the file)
    /// before any pixel is decoded.
    /// </summary>
    public static (int Width, int Height, int Channels) CheckSize(byte[] bytes, string name, long maxPixels)
    {
        var header = Header(bytes, name);
        var (width, height) = (header.Width, header.Height);
        if ((long)width * height > maxPixels)
            throw new ImageTooLargeException(name, width, height, maxPixels,
                string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{name}: the image claims {width}×{height} = {(long)width * height / 1e6:F1} megapixels; at most {maxPixels / 1e6:0.0###} are accepted; scale it down first."));
        return header;
    }

    /// <summary>
    /// Decodes to <paramref name="channels"/> channels (1: stb's luma (77·R + 150·G + 29·B) / 256, or a JPEG's Y;
    /// 3: RGB, grey repeated), alpha dropped. A file that does not decode is a one-line
    /// <see cref="ImageDecodeException"/> naming <paramref name="name"/> (never a decoder's raw bytes); a channel
    /// count other than 1 or 3 is a <see cref="DataMismatchException"/>.
    /// </summary>
    public static Decoded Decode(byte[] bytes, string name, int channels)
    {
        if (channels is not (1 or 3))
            throw new DataMismatchException(name, $"{channels} channels", "1 (grey) or 3 (RGB) channels",
                $"{name}: images can be decoded to 1 (grey) or 3 (RGB) channels, not {channels}; use an architecture whose input has 1 or 3 channels.");
        CheckStructure(bytes, name);
        ImageResult img;
        try { img = ImageResult.FromMemory(bytes, channels == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue); }
        catch (Exception e) { throw new ImageDecodeException(name, $"{name}: cannot decode the image ({Printable(e.Message)}); replace the file."); }
        if (img is null || img.Width < 1 || img.Height < 1 || img.Data is null || img.Data.Length != img.Width * img.Height * channels)
            throw new ImageDecodeException(name, $"{name}: cannot decode the image (no pixels); replace the file.");
        return new Decoded(img.Data, img.Height, img.Width, channels, (int)img.SourceComp);
    }

    /// <summary>
    /// A picture as a network's input [C, H, W] in [0, 1]: decoded to <paramref name="channels"/> channels
    /// (<see cref="Decode"/>), scaled by 1/255 (inverted with <paramref name="invert"/>), resized by bilinear
    /// interpolation with half-pixel centres (<see cref="ImagePixels.ResizeBilinear"/>). Training, evaluation,
    /// prediction and serving all call this.
    /// </summary>
    public static float[] Prepare(byte[] bytes, string name, int channels, int height, int width, bool invert, out Decoded decoded)
    {
        decoded = Decode(bytes, name, channels);
        return ImagePixels.ResizeBilinear(ImagePixels.ToPlanar(decoded.Pixels, decoded.Height, decoded.Width, channels, invert),
            channels, decoded.Height, decoded.Width, height, width);
    }

    /// <summary>A decoder's message without control characters (stb's can hold raw bytes of the file), on one line.</summary>
    public static string Printable(string message)
    {
        string text = System.Text.RegularExpressions.Regex.Replace(message, @"\p{C}+", " ").Trim();
        return text.Length == 0 ? "truncated or corrupt data" : text;
    }

    /// <summary>The image's width, height and channel count from its header, without decoding; null when unreadable.</summary>
    public static (int Width, int Height, int Channels)? Peek(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var info = ImageInfo.FromStream(stream);
            return info is { } i ? (i.Width, i.Height, (int)i.ColorComponents) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }
}
