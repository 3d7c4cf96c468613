using System.Text.RegularExpressions;
using Jimu.Cli;
using Jimu.Images;

namespace Jimu.Tests.Data;

/// <summary>
/// A file that does not decode is an <see cref="ImageDecodeException"/> naming it, with one clean line of text (never
/// the NULs of a truncated PNG's chunk name), whoever decodes it: training's image folders or predict's inputs.
/// </summary>
public class ImageDecodeErrorTests
{
    private static byte[] Picture(bool jpeg, int channels = 1)
    {
        var rng = new Random(3);
        var chw = Enumerable.Range(0, channels * 12 * 10).Select(_ => (float)rng.NextDouble()).ToArray();
        return ImageFolderWriter.Encode(chw, channels, 12, 10, jpeg, 90);
    }

    private static void AssertClean(ImageDecodeException e, string name)
    {
        Assert.Equal(name, e.Path);
        Assert.StartsWith($"{name}: ", e.Message);
        Assert.DoesNotMatch(@"\p{C}", e.Message); // no NUL or other control character, no line break
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_truncation_of_a_picture_decodes_or_is_a_clean_ImageDecodeException(bool jpeg)
    {
        var whole = Picture(jpeg);
        int refused = 0;
        for (int n = 0; n < whole.Length; n++)
        {
            var cut = whole[..n];
            foreach (var decode in new Action[]
            {
                () => ImageInput.DecodeGrey(cut, "cut.img"),
                () => ImageDecoder.Decode(cut, "cut.img", 3),
            })
            {
                try { decode(); }
                catch (ImageDecodeException e) { AssertClean(e, "cut.img"); refused++; }
            }
        }
        // Most cuts lose pixel data; a decoder that accepted them all would not be checking anything.
        Assert.True(refused > whole.Length, $"{refused} refusals for {whole.Length} cuts");
    }

    [Fact]
    public void A_PNG_cut_inside_its_pixel_data_says_so()
    {
        var png = Picture(jpeg: false);
        var e = Assert.Throws<ImageDecodeException>(() => ImageInput.DecodeGrey(png[..(png.Length / 2)], "half.png"));
        AssertClean(e, "half.png");
        Assert.Equal("half.png: cannot decode the image (truncated or corrupt PNG: a chunk runs past the end of the file); replace the file.", e.Message);
        Assert.DoesNotContain("--", e.Message); // the library names no command-line option
    }

    [Fact]
    public void A_PNG_without_its_pixel_chunks_has_no_NULs_in_its_message()
    {
        // Signature and IHDR only (33 bytes): every chunk fits, so the decoder itself reports the missing data.
        var png = Picture(jpeg: false)[..33];
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(png, "header.png", 1));
        AssertClean(e, "header.png");
    }

    [Fact]
    public void Not_an_image_and_too_many_pixels_are_typed_with_their_data()
    {
        var e = Assert.Throws<ImageDecodeException>(() => ImageInput.DecodeGrey("hello, world"u8.ToArray(), "notes.txt"));
        AssertClean(e, "notes.txt");
        Assert.Contains("not a PNG or JPEG image", e.Message);

        var big = Assert.Throws<ImageTooLargeException>(() => ImageInput.DecodeGrey(Picture(jpeg: false), "big.png", maxPixels: 100));
        Assert.Equal(("big.png", 10, 12, 100L), (big.Path, big.Width, big.Height, big.MaxPixels));

        var channels = Assert.Throws<DataMismatchException>(() => ImageDecoder.Decode(Picture(jpeg: false), "two.png", 2));
        Assert.Equal(("two.png", "2 channels"), (channels.Where, channels.Expected));
    }

    [Fact]
    public void Predict_accepts_what_training_folders_accept_and_its_limit_can_be_lowered()
    {
        // 6000 × 6000 = 36 MP: over the old 2²⁵ of predict, under the 100 MP of an image folder. The header passes, so
        // the failure is the decoder's (the file holds no pixels), not the size check.
        var png = Jimu.Tests.Data.ImageFolderTests.PngClaiming(6000, 6000);
        Assert.Equal(ImageDecoder.DefaultMaxPixels, ImageInput.MaxPixels);
        var e = Assert.Throws<ImageDecodeException>(() => ImageInput.Decode(png, "photo.png", 1, 28, 28, invert: false));
        Assert.IsNotType<ImageTooLargeException>(e);
        var big = Assert.Throws<ImageTooLargeException>(() => ImageInput.Decode(png, "photo.png", 3, 28, 28, invert: false, maxPixels: 1L << 25));
        Assert.Equal(("photo.png", 6000, 6000, 1L << 25), (big.Path, big.Width, big.Height, big.MaxPixels));
    }
}
