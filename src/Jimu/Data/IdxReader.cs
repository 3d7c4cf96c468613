using System.Buffers.Binary;
using System.IO.Compression;
using Jimu.Tensors;

namespace Jimu.Data;

/// <summary>
/// Reads IDX files, the format of MNIST and Fashion-MNIST: a big-endian header
/// (magic 00 00 TT DD: element type TT, DD dimensions; then DD big-endian int32 sizes)
/// followed by exactly the product of the sizes in elements. Only unsigned-byte elements (TT = 0x08)
/// are supported. Files may be raw or gzip-compressed; gzip is detected by its magic bytes 1f 8b,
/// not by the file name. Every malformed input raises a <see cref="DataFormatException"/> that names the file (<see cref="DataFormatException.Path"/>).
/// </summary>
public static class IdxReader
{
    /// <summary>Magic of an unsigned-byte IDX file with 3 dimensions (images: N × rows × cols).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic of an unsigned-byte IDX file with 1 dimension (labels: N).</summary>
    public const int LabelsMagic = 0x00000801;

    private const byte UnsignedByteType = 0x08;

    /// <summary>Reads an unsigned-byte IDX file with any number of dimensions; returns the payload and the sizes.</summary>
    public static byte[] ReadRaw(string path, out int[] dims)
    {
        using var stream = OpenFile(path);
        return ReadRaw(stream, path, out dims);
    }

    /// <summary>
    /// Reads an unsigned-byte IDX file from <paramref name="stream"/> (raw or gzip);
    /// <paramref name="name"/> is the file name used in error messages.
    /// </summary>
    public static byte[] ReadRaw(Stream stream, string name, out int[] dims) => Read(stream, name, expectedDims: null, out dims);

    /// <summary>Reads an images file (magic 0x00000803) as a float tensor [N, 1, rows, cols] with values pixel / 255 in [0, 1].</summary>
    public static Tensor ReadImages(string path)
    {
        using var stream = OpenFile(path);
        return ReadImages(stream, path);
    }

    /// <inheritdoc cref="ReadImages(string)"/>
    public static Tensor ReadImages(Stream stream, string name)
    {
        byte[] pixels = Read(stream, name, expectedDims: 3, out int[] dims);
        var images = new Tensor(dims[0], 1, dims[1], dims[2]);
        var data = images.Span;
        const float scale = 1f / 255f;
        for (int i = 0; i < pixels.Length; i++) data[i] = pixels[i] * scale;
        return images;
    }

    /// <summary>Reads a labels file (magic 0x00000801) as one integer label in [0, 255] per item.</summary>
    public static int[] ReadLabels(string path)
    {
        using var stream = OpenFile(path);
        return ReadLabels(stream, path);
    }

    /// <inheritdoc cref="ReadLabels(string)"/>
    public static int[] ReadLabels(Stream stream, string name)
    {
        byte[] bytes = Read(stream, name, expectedDims: 1, out _);
        var labels = new int[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) labels[i] = bytes[i];
        return labels;
    }

    private static FileStream OpenFile(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DataFormatException(path, $"{path}: file not found; check the path to the IDX data file.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"{path}: cannot open the IDX file: {e.Message}", e);
        }
    }

    private static byte[] Read(Stream stream, string name, int? expectedDims, out int[] dims)
    {
        Stream input = Decompressing(stream, name, out bool gzip);
        try
        {
            return ReadIdx(input, name, expectedDims, out dims);
        }
        catch (InvalidDataException e)
        {
            // Raised by GZipStream on a damaged or cut-off compressed stream.
            throw new DataFormatException(name, $"{name}: corrupt gzip data ({e.Message}); re-download the data set.", e);
        }
        finally
        {
            if (gzip) input.Dispose();
        }
    }

    /// <summary>Returns a stream of the IDX bytes: <paramref name="stream"/> itself, or a gzip decoder over it when it starts with 1f 8b.</summary>
    private static Stream Decompressing(Stream stream, string name, out bool gzip)
    {
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }
        long start = stream.Position;
        Span<byte> head = stackalloc byte[2];
        int got = stream.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        stream.Position = start;
        gzip = got == 2 && head[0] == 0x1f && head[1] == 0x8b;
        if (got == 0) throw new DataFormatException(name, $"{name}: the file is empty; re-download or re-extract the data set.");
        return gzip ? new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true) : stream;
    }

    /// <summary>
    /// The dimensions an IDX file's header declares (for images [count, rows, cols]), read without loading the
    /// data: for checking a data set's shape before loading it.
    /// </summary>
    public static int[] ReadDims(string path)
    {
        using var stream = OpenFile(path);
        Stream input = Decompressing(stream, path, out bool gzip);
        try { return ReadHeader(input, path, null); }
        catch (InvalidDataException e) { throw new DataFormatException(path, $"{path}: corrupt gzip data ({e.Message}); re-download the data set.", e); }
        finally { if (gzip) input.Dispose(); }
    }

    private static byte[] ReadIdx(Stream input, string name, int? expectedDims, out int[] dims)
    {
        dims = ReadHeader(input, name, expectedDims);
        long total = 1;
        foreach (int d in dims) total *= d;
        var payload = ReadPayload(input, (int)total, out int got);
        if (got < total)
            throw new DataFormatException(name, $"{name}: truncated IDX file: header says {Describe(dims)} ({total} bytes) but only {got} bytes follow; re-download or re-extract the data set.");

        long extra = CountRemaining(input);
        if (extra > 0)
            throw new DataFormatException(name, $"{name}: IDX file has {extra} unexpected byte(s) after the {Describe(dims)} ({total} bytes) its header declares; the file is damaged or not what its header says. Re-download or re-extract the data set.");
        return payload;
    }

    private static int[] ReadHeader(Stream input, string name, int? expectedDims)
    {
        Span<byte> word = stackalloc byte[4];
        int got = input.ReadAtLeast(word, 4, throwOnEndOfStream: false);
        if (got < 4)
            throw new DataFormatException(name, $"{name}: truncated IDX file: only {got} bytes, too short for the 4-byte magic number; re-download or re-extract the data set.");

        int magic = BinaryPrimitives.ReadInt32BigEndian(word);
        string expected = expectedDims switch
        {
            3 => "00 00 08 03 (unsigned-byte images)",
            1 => "00 00 08 01 (unsigned-byte labels)",
            _ => "00 00 08 0N (unsigned-byte, N dimensions)",
        };
        if (word[0] != 0 || word[1] != 0)
            throw new DataFormatException(name, $"{name}: not an IDX file: it starts with {Hex(word)}, expected {expected}; check that the path points at an MNIST-format data file.");
        if (word[2] != UnsignedByteType)
            throw new DataFormatException(name, $"{name}: unsupported IDX element type 0x{word[2]:x2} ({TypeName(word[2])}); only unsigned-byte (0x08) IDX files can be read.");

        int rank = word[3];
        if (rank == 0)
            throw new DataFormatException(name, $"{name}: IDX header declares 0 dimensions; the file is damaged.");
        if (expectedDims is { } e && rank != e)
        {
            string what = e == 3 ? "an images file needs 3 (count × rows × cols)" : "a labels file needs 1 (count)";
            throw new DataFormatException(name, $"{name}: IDX file has {rank} dimension(s) (magic {Hex(word)}) but {what}; were the images and labels files swapped?");
        }

        var dims = new int[rank];
        long total = 1;
        for (int i = 0; i < rank; i++)
        {
            got = input.ReadAtLeast(word, 4, throwOnEndOfStream: false);
            if (got < 4)
                throw new DataFormatException(name, $"{name}: truncated IDX file: the header ends inside the size of dimension {i} of {rank}; re-download or re-extract the data set.");
            int d = BinaryPrimitives.ReadInt32BigEndian(word);
            if (d <= 0)
                throw new DataFormatException(name, $"{name}: IDX header gives dimension {i} the size {d}; sizes must be positive. The file is damaged.");
            dims[i] = d;
            total *= d;
            if (total > Array.MaxLength)
                throw new DataFormatException(name, $"{name}: IDX header sizes {string.Join("x", dims.Take(i + 1))} describe more than {Array.MaxLength} bytes, too large to load; the file is damaged.");
        }

        return dims;
    }

    /// <summary>
    /// Reads up to <paramref name="total"/> bytes, allocating no more than the input holds: a header that claims
    /// 2 GB in a 100-byte file is refused before the 2 GB are allocated. A seekable stream says how much follows;
    /// a gzip stream is read in blocks that grow as the data arrives.
    /// </summary>
    private static byte[] ReadPayload(Stream input, int total, out int got)
    {
        if (input.CanSeek)
        {
            long left = input.Length - input.Position;
            if (left < total) { got = (int)Math.Max(left, 0); return []; }
            var all = new byte[total];
            got = input.ReadAtLeast(all, total, throwOnEndOfStream: false);
            return all;
        }
        var buffer = new byte[Math.Min(total, 1 << 20)];
        got = 0;
        while (true)
        {
            got += input.ReadAtLeast(buffer.AsSpan(got), buffer.Length - got, throwOnEndOfStream: false);
            if (got < buffer.Length || got == total) return buffer;
            Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, total));
        }
    }

    private static long CountRemaining(Stream input)
    {
        Span<byte> buffer = stackalloc byte[4096];
        long n = 0;
        int got;
        while ((got = input.Read(buffer)) > 0) n += got;
        return n;
    }

    private static string Describe(int[] dims) => dims.Length switch
    {
        3 => $"{dims[0]} images of {dims[1]}x{dims[2]}",
        1 => $"{dims[0]} labels",
        _ => $"an array of {string.Join("x", dims)}",
    };

    private static string Hex(ReadOnlySpan<byte> bytes) => string.Join(' ', bytes.ToArray().Select(b => b.ToString("x2")));

    private static string TypeName(byte type) => type switch
    {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "int16",
        0x0C => "int32",
        0x0D => "float32",
        0x0E => "float64",
        _ => "unknown type",
    };
}
