using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Jimu.IO;

/// <summary>
/// Replaces a file all at once: the content goes to a temporary file in the same directory
/// (".NAME.GUID.tmp"), which is flushed to disk (fsync) and then renamed over the target; then the directory
/// itself is flushed, so that the rename survives a power cut. Readers, and a process killed at any moment,
/// see either the old file or the complete new one; if writing fails the temporary file is deleted and an
/// existing target is left untouched. A process killed mid-write leaves its temporary file behind:
/// <see cref="RemoveStale"/> clears those at the next start.
/// </summary>
public static partial class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/>, atomically. I/O failures become a
    /// <see cref="FileWriteException"/> naming the path; any other exception from <paramref name="write"/> propagates
    /// unchanged (after the temporary file is removed).
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        var (full, directory) = Target(path);
        string temp = TempPath(full, directory);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
            FlushDirectory(directory);
        }
        catch (Exception e)
        {
            try { File.Delete(temp); }
            catch (Exception) { /* best effort: the original error is the one to report */ }
            if (e is IOException or UnauthorizedAccessException)
                throw new FileWriteException(path, $"cannot write '{path}': {e.Message}", e);
            throw;
        }
    }

    /// <summary>
    /// Checks, before a long job, that <paramref name="path"/> can be written with <paramref name="bytes"/> bytes:
    /// the directory exists and is writable and the disk has the room (the space is reserved, then released).
    /// Throws a <see cref="FileWriteException"/> saying what is wrong.
    /// </summary>
    public static void CheckWritable(string path, long bytes)
    {
        var (full, directory) = Target(path);
        string temp = TempPath(full, directory);
        try
        {
            // PreallocationSize reserves the blocks (fallocate): a full disk fails here, not hours later.
            using var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, PreallocationSize = Math.Max(bytes, 1),
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FileWriteException(path, $"cannot write '{path}' ({bytes:N0} bytes): {e.Message}; free some space or write to another folder.", e);
        }
        finally
        {
            try { File.Delete(temp); }
            catch (Exception) { /* nothing was created */ }
        }
    }

    /// <summary>Deletes the temporary files that writes of <paramref name="path"/> left behind when their process was killed; returns how many.</summary>
    public static int RemoveStale(string path)
    {
        var (full, directory) = Target(path);
        string prefix = $".{Path.GetFileName(full)}.";
        int removed = 0;
        foreach (var file in Directory.EnumerateFiles(directory, prefix + "*.tmp"))
        {
            if (!TempName().IsMatch(Path.GetFileName(file)[prefix.Length..])) continue;
            try { File.Delete(file); removed++; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* in use or not ours to delete */ }
        }
        return removed;
    }

    private static (string Full, string Directory) Target(string path)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? throw new FileWriteException(path, $"cannot write '{path}': it is not a file path.");
        if (!System.IO.Directory.Exists(directory))
            throw new FileWriteException(path, $"cannot write '{path}': directory '{directory}' does not exist; create it first or choose another path.");
        if (System.IO.Directory.Exists(full))
            throw new FileWriteException(path, $"cannot write '{path}': it is a directory; give a file name.");
        return (full, directory);
    }

    private static string TempPath(string full, string directory) =>
        Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");

    [GeneratedRegex("^[0-9a-f]{32}\\.tmp$")]
    private static partial Regex TempName();

    /// <summary>fsync on the directory, so that the rename is on disk. (Windows has no such call; NTFS journals renames.)</summary>
    private static void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = Open(directory, OpenReadOnly | (OperatingSystem.IsLinux() ? OpenDirectoryLinux : 0));
        if (fd < 0) return; // some file systems do not let a directory be opened: the rename itself is done
        try { _ = Fsync(fd); }
        finally { _ = Close(fd); }
    }

    private const int OpenReadOnly = 0, OpenDirectoryLinux = 0x10000;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
