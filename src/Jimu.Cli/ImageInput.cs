using Jimu.Data;
using Jimu.Tensors;
using StbImageSharp;

namespace Jimu.Cli;

/// <summary>
/// Turns prediction inputs into images of the model's size and channels, with pixels in [0, 1]:
/// PNG, JPEG, BMP and GIF are decoded by StbImageSharp (Jimu.Images.ImageDecoder, as for training on an image
/// folder) to one grey channel (stb's luma: (77·R + 150·G + 29·B) / 256, alpha dropped) or RGB, then resized to the model's H×W by bilinear interpolation with half-pixel centres
/// (PyTorch's interpolate(mode="bilinear", align_corners=False)); an IDX images file contributes all of its images.
/// </summary>
public static class ImageInput
{
    /// <summary>
    /// One image ready for the model: where it came from, its C·H·W pixels, whether they were inverted, and whether
    /// a picture fed as it is looked like dark ink on a light background (MNIST is the opposite); whether the file
    /// holds colour, and its own size (before resizing), for the checks against the model's training data.
    /// </summary>
    public sealed record Item(string Name, float[] Pixels, bool Inverted = false, bool LightBackground = false)
    {
        /// <summary>Whether the file holds colour (RGB or RGBA); IDX images are grey.</summary>
        public bool Colour { get; init; }
        /// <summary>The picture's own height and width, before resizing to the model's input.</summary>
        public (int Height, int Width) SourceSize { get; init; }
        /// <summary>Whether it came from an IDX images file.</summary>
        public bool Idx { get; init; }
    }

    /// <summary>Largest image decoded by default: the same 100 megapixels as an image folder in training
    /// (<see cref="Jimu.Images.ImageDecoder.DefaultMaxPixels"/>), so a photo that trains also predicts.</summary>
    public const long MaxPixels = Jimu.Images.ImageDecoder.DefaultMaxPixels;

    /// <summary>
    /// Decodes a PNG or JPEG to one grey byte per pixel (stb's luma, alpha dropped). A file that is not an image, or
    /// is truncated or corrupt, is an <see cref="ImageDecodeException"/> naming <paramref name="name"/>. The header's
    /// size is checked against <paramref name="maxPixels"/> before any pixel is decoded (<see cref="ImageTooLargeException"/>):
    /// a few kilobytes of PNG can claim gigabytes of pixels.
    /// </summary>
    public static (byte[] Grey, int Height, int Width) DecodeGrey(byte[] bytes, string name, long maxPixels = MaxPixels)
    {
        CheckHeader(bytes, name, maxPixels);
        var d = Jimu.Images.ImageDecoder.Decode(bytes, name, 1);
        return (d.Pixels, d.Height, d.Width);
    }

    /// <summary>The checks <see cref="DecodeGrey"/> makes before decoding: a readable header and at most <paramref name="maxPixels"/> pixels.</summary>
    public static void CheckHeader(byte[] bytes, string name, long maxPixels = MaxPixels) =>
        // The size from the header, before any pixel is allocated: a 300-byte file may claim 50,000 × 2,000 pixels.
        Jimu.Images.ImageDecoder.CheckSize(bytes, name, maxPixels);

    /// <summary>How a picture becomes the model's input: plain (resize only) or <see cref="MnistStyle"/>.</summary>
    public enum Preprocess { None, Mnist }

    public static List<Item> Load(string path, int channels, int height, int width, bool invert, Preprocess preprocess = Preprocess.None,
        long maxPixels = MaxPixels)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, $"{path}: the input file does not exist.");
        return Decode(File.ReadAllBytes(path), path, channels, height, width, invert, preprocess, maxPixels);
    }

    /// <summary>Decodes the bytes of a PNG, JPEG, BMP, GIF or IDX images file; <paramref name="path"/> names it in errors and items.</summary>
    public static List<Item> Decode(byte[] bytes, string path, int channels, int height, int width, bool invert, Preprocess preprocess = Preprocess.None,
        long maxPixels = MaxPixels)
    {
        if (channels is not (1 or 3))
            throw new DataMismatchException(path, $"{channels} channels", "1 (grey) or 3 (RGB) channels", $"{path}: the model takes {channels}-channel images but images have 1 (grey) or 3 (RGB) channels.");
        if (channels == 3 && preprocess == Preprocess.Mnist) throw new CommandLineException("--preprocess mnist is for grey digit models; this model takes colour images.");
        var items = new List<Item>();
        if (channels == 3 && IsImage(bytes))
        {
            CheckHeader(bytes, path, maxPixels); // the same checks (header, pixel limit) as for grey models
            // The same conversion as training on an image folder (Jimu.Images.ImageDecoder.Prepare).
            var pixels = Jimu.Images.ImageDecoder.Prepare(bytes, path, 3, height, width, invert, out var d);
            items.Add(new Item(path, pixels, invert) { Colour = d.Colour, SourceSize = (d.Height, d.Width) });
        }
        else if (IsImage(bytes))
        {
            var (grey, h, w) = DecodeGrey(bytes, path, maxPixels);
            items.Add(FromGrey(path, grey, h, w, height, width, invert, preprocess) with { Colour = IsColour(bytes), SourceSize = (h, w) });
        }
        else
        {
            Tensor images;
            try { images = IdxReader.ReadImages(new MemoryStream(bytes, writable: false), path); }
            catch (DataFormatException e) { throw new DataFormatException(e.Path, $"{e.Message} (inputs must be PNG, JPEG or IDX images files)", e); }
            int n = images.Dim(0), h = images.Dim(2), w = images.Dim(3);
            for (int i = 0; i < n; i++)
            {
                var src = images.Data.AsSpan(i * h * w, h * w);
                var bytesI = new byte[h * w];
                for (int j = 0; j < bytesI.Length; j++) bytesI[j] = (byte)MathF.Round(src[j] * 255f);
                var item = FromGrey($"{path}#{i}", bytesI, h, w, height, width, invert, preprocess) with { SourceSize = (h, w), Idx = true };
                // A grey image for a colour model: the grey plane in R, G and B, as a decoder converts grey files.
                items.Add(channels == 3 ? item with { Pixels = [.. item.Pixels, .. item.Pixels, .. item.Pixels] } : item);
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

    /// <summary>Whether an image file's header says colour (RGB or RGBA) rather than grey.</summary>
    private static bool IsColour(byte[] bytes)
    {
        try { return ImageInfo.FromStream(new MemoryStream(bytes, writable: false)) is { ColorComponents: ColorComponents.RedGreenBlue or ColorComponents.RedGreenBlueAlpha }; }
        catch (Exception) { return false; }
    }

    /// <summary>Whether the bytes start like a PNG, JPEG, BMP or GIF.</summary>
    public static bool IsImage(ReadOnlySpan<byte> b) => Jimu.Images.ImageDecoder.IsImage(b);

    /// <inheritdoc cref="Jimu.Images.ImageDecoder.PngChunksFit"/>
    public static bool PngChunksFit(ReadOnlySpan<byte> b) => Jimu.Images.ImageDecoder.PngChunksFit(b);

    /// <inheritdoc cref="Jimu.Images.ImageDecoder.JpegSegmentsFit"/>
    public static bool JpegSegmentsFit(ReadOnlySpan<byte> b) => Jimu.Images.ImageDecoder.JpegSegmentsFit(b);

    /// <summary>Scales to [0, 1], optionally inverts (for dark digits on a light background), and resizes (<see cref="ImagePixels"/>).</summary>
    public static float[] Prepare(byte[] grey, int h, int w, int outH, int outW, bool invert) =>
        ImagePixels.ResizeBilinear(ImagePixels.ToPlanar(grey, h, w, 1, invert), 1, h, w, outH, outW);

    /// <summary>Bilinear resize with half-pixel centres (<see cref="ImagePixels.ResizeBilinear"/> on one plane).</summary>
    public static float[] ResizeBilinear(float[] src, int h, int w, int outH, int outW) => ImagePixels.ResizeBilinear(src, 1, h, w, outH, outW);
}
