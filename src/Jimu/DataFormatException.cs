namespace Jimu;

/// <summary>
/// Data that cannot be read as a data set: a missing or malformed folder or file, or images and labels that do not
/// agree. <see cref="Path"/> names the folder or file (or, for a data set built in memory, its name), and
/// <see cref="Line"/> the line of a text file at fault.
/// </summary>
public class DataFormatException(string path, string message, Exception? inner = null) : JimuException(message, inner)
{
    /// <summary>The folder or file at fault (for a <see cref="Data.Dataset"/> built in memory, its <see cref="Data.Dataset.Name"/>).</summary>
    public string Path { get; } = path;
    /// <summary>The 1-based line of a text file at fault (a class-names file, an epoch log); null when not a line.</summary>
    public int? Line { get; init; }
}

/// <summary>One image file that cannot be decoded (not an image, truncated, corrupt, too large); it can be replaced or skipped.</summary>
public class ImageDecodeException(string path, string message, Exception? inner = null) : DataFormatException(path, message, inner);

/// <summary>
/// An image whose header claims more pixels than allowed (<see cref="Width"/> × <see cref="Height"/> over
/// <see cref="MaxPixels"/>), refused before a pixel is decoded: a few hundred bytes of PNG can claim gigabytes.
/// </summary>
public sealed class ImageTooLargeException(string path, int width, int height, long maxPixels, string message)
    : ImageDecodeException(path, message)
{
    /// <summary>The width the header claims.</summary>
    public int Width { get; } = width;
    /// <summary>The height the header claims.</summary>
    public int Height { get; } = height;
    /// <summary>The most pixels accepted.</summary>
    public long MaxPixels { get; } = maxPixels;
}
