namespace Jimu;

/// <summary>
/// A file (or folder) that cannot be written: its folder is missing, it is a folder, permission is denied or the disk
/// is full. <see cref="Path"/> names it; a file that was there is left as it was (writes are atomic, see
/// <see cref="IO.AtomicFile"/>).
/// </summary>
public sealed class FileWriteException(string path, string message, Exception? inner = null) : JimuException(message, inner)
{
    /// <summary>The file or folder that could not be written, as given.</summary>
    public string Path { get; } = path;
}
