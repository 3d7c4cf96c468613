namespace Jimu.IO;

/// <summary>
/// Replaces a file all at once: the content goes to a temporary file in the same directory, which is flushed
/// to disk and then moved over the target. Readers see either the old file or the complete new one; if writing
/// fails the temporary file is deleted and an existing target is left untouched.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/>, atomically. I/O failures become a
    /// <see cref="JimuException"/> naming the path; any other exception from <paramref name="write"/> propagates
    /// unchanged (after the temporary file is removed).
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? throw new JimuException($"cannot write '{path}': it is not a file path.");
        if (!Directory.Exists(directory))
            throw new JimuException($"cannot write '{path}': directory '{directory}' does not exist; create it first or choose another path.");
        if (Directory.Exists(full))
            throw new JimuException($"cannot write '{path}': it is a directory; give a file name.");

        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e)
        {
            try { File.Delete(temp); }
            catch (Exception) { /* best effort: the original error is the one to report */ }
            if (e is IOException or UnauthorizedAccessException)
                throw new JimuException($"cannot write '{path}': {e.Message}", e);
            throw;
        }
    }
}
