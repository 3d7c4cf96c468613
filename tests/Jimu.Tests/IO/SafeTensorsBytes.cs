using System.Buffers.Binary;
using System.Text;

namespace Jimu.Tests.IO;

/// <summary>Builds safetensors files byte by byte for the tests.</summary>
internal static class SafeTensorsBytes
{
    /// <summary>8-byte little-endian header length, the header (space-padded to a multiple of 8 when <paramref name="pad"/>), the data.</summary>
    public static byte[] Build(string header, byte[] data, bool pad = true)
    {
        byte[] h = Encoding.UTF8.GetBytes(header);
        if (pad && h.Length % 8 != 0) h = [.. h, .. Enumerable.Repeat((byte)' ', 8 - h.Length % 8)];
        return WithLength((ulong)h.Length, [.. h, .. data]);
    }

    /// <summary>A header length (possibly a lie) followed by <paramref name="rest"/>.</summary>
    public static byte[] WithLength(ulong headerLength, byte[] rest)
    {
        var bytes = new byte[8 + rest.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength);
        rest.CopyTo(bytes, 8);
        return bytes;
    }

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));
}
