namespace Jimu;

/// <summary>Data that cannot be read as a data set: a missing or malformed folder or file; <see cref="Path"/> names it.</summary>
public class DataFormatException(string path, string message, Exception? inner = null) : JimuException(message, inner)
{
    /// <summary>The folder or file at fault.</summary>
    public string Path { get; } = path;
}

/// <summary>One image file that cannot be decoded (not an image, truncated, corrupt); it can be replaced or skipped.</summary>
public sealed class ImageDecodeException(string path, string message, Exception? inner = null) : DataFormatException(path, message, inner);
