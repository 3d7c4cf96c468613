using System.Buffers.Binary;
using System.IO.Compression;

namespace Jimu.Tests.Data;

/// <summary>Builds IDX files byte by byte for the tests.</summary>
internal static class IdxBytes
{
    public static byte[] Build(int magic, int[] dims, byte[] payload)
    {
        var bytes = new byte[4 + 4 * dims.Length + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        payload.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    /// <summary>An images file of <paramref name="n"/> images of rows × cols; pixel i is (seed + i) mod 256.</summary>
    public static byte[] Images(int n, int rows, int cols, int seed = 0) =>
        Build(0x00000803, [n, rows, cols], Enumerable.Range(0, n * rows * cols).Select(i => (byte)(seed + i)).ToArray());

    public static byte[] Labels(params byte[] labels) => Build(0x00000801, [labels.Length], labels);

    public static byte[] Gzip(byte[] raw)
    {
        var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return output.ToArray();
    }
}
