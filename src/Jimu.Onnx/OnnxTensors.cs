using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Jimu.Onnx.Proto;
using Jimu.Tensors;

namespace Jimu.Onnx;

/// <summary>
/// A constant read from an ONNX TensorProto: its dims and either float32 values or integer values (int64, int32).
/// Reading is bounded by the file: the element count implied by the dims must equal the data actually present,
/// so a tensor never allocates more than the bytes that the file holds for it.
/// </summary>
internal sealed record OnnxConstant(long[] Dims, float[]? Floats, long[]? Ints)
{
    public long Count => Floats?.Length ?? Ints!.Length;
    public int Rank => Dims.Length;
    public string ShapeString => "[" + string.Join(", ", Dims) + "]";

    public Tensor ToTensor() => new(Floats!, Dims.Select(d => (int)d).ToArray());
}

/// <summary>TensorProto ↔ Jimu tensors, little-endian as the spec stores raw_data.</summary>
internal static class OnnxTensors
{
    /// <summary>A float32 initializer named <paramref name="name"/> holding <paramref name="tensor"/> (raw_data).</summary>
    public static TensorProto FromTensor(string name, Tensor tensor)
    {
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        foreach (int d in tensor.Shape) proto.Dims.Add(d);
        var bytes = new byte[tensor.Length * 4];
        if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(tensor.Span).CopyTo(bytes);
        else for (int i = 0; i < tensor.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), tensor.Span[i]);
        proto.RawData = ByteString.CopyFrom(bytes);
        return proto;
    }

    /// <summary>An int64 constant (shape vectors, axes) as a TensorProto.</summary>
    public static TensorProto FromInts(string name, params long[] values)
    {
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        proto.Dims.Add(values.Length);
        proto.Int64Data.AddRange(values);
        return proto;
    }

    /// <summary>The spec's name of an element type: "float", "uint8", "int64", ….</summary>
    public static string TypeName(int type) => ((TensorProto.Types.DataType)type).ToString().ToLowerInvariant();

    /// <summary>
    /// Reads a float32, int64 or int32 tensor of the file <paramref name="source"/>; <paramref name="where"/> prefixes
    /// error messages. Everything else (other types, external data, a size that does not match the dims) is a
    /// <see cref="TensorFormatException"/> naming the file and the tensor.
    /// </summary>
    public static OnnxConstant Read(TensorProto t, string source, string where)
    {
        TensorFormatException Bad(string what) => new(source, t.Name, [.. t.Dims], $"{where}: tensor '{t.Name}' {what}");
        if (t.HasDataLocation && t.DataLocation == TensorProto.Types.DataLocation.External || t.ExternalData.Count > 0)
            throw Bad($"keeps its data in an external file, which Jimu does not read; save the model with its weights inside (onnx.save(..., save_as_external_data=False)).");
        long count = 1;
        foreach (long d in t.Dims)
        {
            if (d < 0) throw Bad($"has a negative dimension {d}; the file is corrupt.");
            try { count = checked(count * d); }
            catch (OverflowException) { throw Bad($"has dimensions [{string.Join(", ", t.Dims)}] too large to exist; the file is corrupt."); }
        }
        var type = (TensorProto.Types.DataType)t.DataType;
        int size = type switch
        {
            TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int32 => 4,
            TensorProto.Types.DataType.Int64 => 8,
            _ => throw Bad($"has element type {TypeName(t.DataType)}; Jimu reads float32 weights and int64/int32 shape constants only."),
        };
        bool raw = t.HasRawData;
        long present = raw ? t.RawData.Length / size
            : type switch
            {
                TensorProto.Types.DataType.Float => t.FloatData.Count,
                TensorProto.Types.DataType.Int32 => t.Int32Data.Count,
                _ => t.Int64Data.Count,
            };
        if (present != count || raw && t.RawData.Length % size != 0)
            throw Bad($"has shape [{string.Join(", ", t.Dims)}] ({count} values) but holds {(raw ? $"{t.RawData.Length} bytes" : $"{present} values")}; the file is corrupt or truncated.");

        var dims = t.Dims.ToArray();
        var span = raw ? t.RawData.Span : default;
        switch (type)
        {
            case TensorProto.Types.DataType.Float:
                if (dims.Any(d => d > int.MaxValue) || count > Array.MaxLength)
                    throw Bad($"is too large for Jimu ({count} values).");
                var f = new float[count];
                if (!raw) t.FloatData.CopyTo(f, 0);
                else if (BitConverter.IsLittleEndian) span.CopyTo(MemoryMarshal.AsBytes(f.AsSpan()));
                else for (int i = 0; i < f.Length; i++) f[i] = BinaryPrimitives.ReadSingleLittleEndian(span[(4 * i)..]);
                return new OnnxConstant(dims, f, null);
            case TensorProto.Types.DataType.Int32:
                var i32 = new long[count];
                for (int i = 0; i < i32.Length; i++) i32[i] = raw ? BinaryPrimitives.ReadInt32LittleEndian(span[(4 * i)..]) : t.Int32Data[i];
                return new OnnxConstant(dims, null, i32);
            default:
                var i64 = new long[count];
                for (int i = 0; i < i64.Length; i++) i64[i] = raw ? BinaryPrimitives.ReadInt64LittleEndian(span[(8 * i)..]) : t.Int64Data[i];
                return new OnnxConstant(dims, null, i64);
        }
    }
}
