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

/// <summary>One image file that cannot be decoded (not an image, truncated, corrupt); it can be replaced or skipped.</summary>
public sealed class ImageDecodeException(string path, string message, Exception? inner = null) : DataFormatException(path, message, inner);
