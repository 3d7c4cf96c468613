using Jimu.Data;
using StbImageWriteSharp;

namespace Jimu.Images;

/// <summary>
/// Writes a data set out as an image folder (<c>DIR/train/&lt;class&gt;/N.png</c>, <c>DIR/test/&lt;class&gt;/N.jpg</c>), the layout
/// <see cref="ImageFolder"/> reads: to turn IDX data into pictures, or to test image-folder training against IDX training.
/// </summary>
public static class ImageFolderWriter
{
    /// <summary>png, jpeg, or mixed (even-numbered images PNG, odd-numbered JPEG).</summary>
    public static IReadOnlyList<string> Formats { get; } = ["png", "jpeg", "mixed"];

    /// <summary>
    /// Writes both splits under <paramref name="directory"/>, which must not exist yet or be empty: everything goes to a
    /// temporary folder beside it first, renamed into place when complete. Class folders are named by
    /// <paramref name="classNames"/> (characters not allowed in file names replaced by '_'), or by the class index,
    /// zero-padded so that ordinal order is index order. Returns the number of files written. A folder that cannot be
    /// written (not empty, disk full, a file in the way) is a <see cref="FileWriteException"/> naming it, and nothing is left behind.
    /// </summary>
    public static int Write(Dataset train, Dataset test, string directory, string format = "png", int jpegQuality = 95,
        IReadOnlyList<string>? classNames = null, int threads = 0, Action<int, int>? progress = null)
    {
        if (!Formats.Contains(format)) throw new SettingException("image format", format, $"unknown image format '{format}': use {string.Join(", ", Formats)}.");
        if (jpegQuality is < 1 or > 100) throw new SettingException("JPEG quality", jpegQuality.ToString(System.Globalization.CultureInfo.InvariantCulture), $"JPEG quality must be 1–100, got {jpegQuality}.");
        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
            throw new FileWriteException(directory, $"{directory}: the folder exists and is not empty; choose a new folder so that nothing is overwritten.");
        int classes = Math.Max(train.ClassCount, test.ClassCount);
        var names = Enumerable.Range(0, classes).Select(c => classNames is { } n && c < n.Count ? SafeName(n[c]) : c.ToString(new string('0', (classes - 1).ToString().Length))).ToArray();
        if (names.Distinct().Count() != names.Length)
            throw new SettingException("class names", string.Join(", ", classNames ?? []), $"the class names give folder names that collide ({string.Join(", ", names)}); rename the classes.");
        string full = Path.GetFullPath(directory);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}");
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        try
        {
            int total = train.Count + test.Count, done = 0;
            foreach (var (split, data) in new[] { ("train", train), ("test", test) })
            {
                foreach (var name in names) Directory.CreateDirectory(Path.Combine(temp, split, name));
                int digits = Math.Max(5, data.Count.ToString().Length);
                Parallel.For(0, data.Count, new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount }, i =>
                {
                    var pixels = new float[data.SampleLength];
                    data.CopyImage(i, pixels);
                    bool jpeg = format == "jpeg" || format == "mixed" && i % 2 == 1;
                    string file = Path.Combine(temp, split, names[data.Labels[i]], i.ToString().PadLeft(digits, '0') + (jpeg ? ".jpg" : ".png"));
                    File.WriteAllBytes(file, Encode(pixels, data.Channels, data.Height, data.Width, jpeg, jpegQuality));
                    int n = Interlocked.Increment(ref done);
                    progress?.Invoke(n, total);
                });
            }
            if (classNames is not null) File.WriteAllLines(Path.Combine(temp, "classes.txt"), classNames);
            if (Directory.Exists(full)) Directory.Delete(full); // empty, checked above
            Directory.Move(temp, full);
            return total;
        }
        catch (Exception e)
        {
            try { Directory.Delete(temp, recursive: true); }
            catch (Exception x) when (x is IOException or UnauthorizedAccessException) { /* the write's error is the one to report */ }
            // An I/O failure (disk full, no permission, a file in the way), also from inside the parallel loop.
            var io = (e is AggregateException a ? a.Flatten().InnerExceptions : [e]).FirstOrDefault(x => x is IOException or UnauthorizedAccessException);
            if (io is not null)
                throw new FileWriteException(directory, $"{directory}: cannot write the images ({io.Message.TrimEnd('.')}); nothing was written.", io);
            throw;
        }
    }

    /// <summary>A [C, H, W] image in [0, 1] as PNG or JPEG bytes (grey for C = 1, RGB for C = 3).</summary>
    public static byte[] Encode(ReadOnlySpan<float> chw, int channels, int height, int width, bool jpeg, int quality = 95)
    {
        if (channels is not (1 or 3)) throw new DataMismatchException("image writer", "1 or 3 channels", $"{channels} channels", $"only 1- or 3-channel images can be written, not {channels}.");
        int plane = height * width;
        var interleaved = new byte[plane * channels];
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < channels; c++)
                interleaved[i * channels + c] = (byte)Math.Clamp(MathF.Round(chw[c * plane + i] * 255f), 0, 255);
        var writer = new ImageWriter();
        using var ms = new MemoryStream();
        var comp = channels == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue;
        if (jpeg) writer.WriteJpg(interleaved, width, height, comp, ms, quality);
        else writer.WritePng(interleaved, width, height, comp, ms);
        return ms.ToArray();
    }

    private static string SafeName(string name)
    {
        var invalid = Path.GetInvalidFileNameChars().Concat(['\\', ':', '*', '?', '"', '<', '>', '|']).ToHashSet();
        var s = new string(name.Select(ch => invalid.Contains(ch) ? '_' : ch).ToArray()).Trim();
        return s.Length == 0 || s.StartsWith('.') ? "_" + s : s;
    }
}
