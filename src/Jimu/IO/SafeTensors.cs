using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using Jimu.Tensors;

namespace Jimu.IO;

/// <summary>
/// Reads and writes the safetensors format (https://github.com/huggingface/safetensors):
/// <code>
/// [8 bytes]  N, unsigned little-endian: length of the header
/// [N bytes]  UTF-8 JSON: {"__metadata__": {string: string}, name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}
///            padded with spaces so that 8 + N is a multiple of 8
/// [rest]     the data section: each tensor's elements, row-major, little-endian, at [begin, end) of this section
/// </code>
/// <para>Writing: tensors are float32 ("F32"), plus optional int64 ("I64") tensors such as BatchNorm's
/// <c>num_batches_tracked</c>, stored in ordinal order of their names (the Python library sorts
/// by dtype alignment and then name, which for one dtype is the same order), packed contiguously from offset 0.
/// The header is compact JSON with <c>__metadata__</c> first (its keys also in ordinal order; omitted when null
/// or empty). Files are replaced atomically (<see cref="AtomicFile"/>).</para>
/// <para>Reading: F32 is read as is; F64, F16 and BF16 are converted to float32 (PyTorch state_dicts are often
/// saved in these); I64 is converted to float32 too and also kept exactly (<see cref="SafeTensorsFile.Int64"/>);
/// any other dtype is an error. The header is validated as strictly as the reference
/// implementation: the tensors must tile the data section exactly, without gaps, overlaps or trailing bytes.
/// Every malformed input is a <see cref="ModelFileException"/> naming the file (a <see cref="TensorFormatException"/> when one tensor's entry is at fault).</para>
/// </summary>
public static class SafeTensors
{
    /// <summary>Largest header accepted, as in the reference implementation (100 MB).</summary>
    public const int MaxHeaderLength = 100_000_000;

    private const string MetadataKey = "__metadata__";

    // ---------------------------------------------------------------- writing

    /// <summary>Writes <paramref name="tensors"/> as float32 and <paramref name="metadata"/> to <paramref name="path"/>, atomically.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null,
        IReadOnlyDictionary<string, Int64Tensor>? int64 = null) =>
        AtomicFile.Write(path, stream => Write(stream, tensors, metadata, int64));

    /// <summary>
    /// Writes the safetensors bytes of <paramref name="tensors"/> (F32), <paramref name="int64"/> (I64) and
    /// <paramref name="metadata"/> to <paramref name="stream"/>. All tensors are stored in ordinal name order.
    /// </summary>
    public static void Write(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null,
        IReadOnlyDictionary<string, Int64Tensor>? int64 = null)
    {
        var entries = tensors.Select(kv => new Entry(kv.Key, kv.Value, null))
            .Concat((int64 ?? new Dictionary<string, Int64Tensor>()).Select(kv => new Entry(kv.Key, null, kv.Value)))
            .OrderBy(e => e.Name, StringComparer.Ordinal).ToArray();
        for (int i = 0; i < entries.Length; i++)
        {
            string name = entries[i].Name;
            if (name.Length == 0) throw new ArgumentException("A tensor name must not be empty.", nameof(tensors));
            if (name == MetadataKey) throw new ArgumentException($"A tensor must not be named '{MetadataKey}'.", nameof(tensors));
            if (i > 0 && entries[i - 1].Name == name) throw new ArgumentException($"Tensor '{name}' is given both as float32 and as int64.", nameof(int64));
        }

        byte[] header = BuildHeader(entries, metadata);
        Span<byte> lengthBytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(lengthBytes, (ulong)header.Length);
        stream.Write(lengthBytes);
        stream.Write(header);

        byte[]? scratch = BitConverter.IsLittleEndian ? null : new byte[4096];
        foreach (var entry in entries)
        {
            if (entry.Int64 is { } longs)
            {
                var bytes = new byte[8 * longs.Data.Length];
                for (int j = 0; j < longs.Data.Length; j++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * j), longs.Data[j]);
                stream.Write(bytes);
                continue;
            }
            var data = entry.Float!.Span;
            if (scratch is null)
            {
                stream.Write(MemoryMarshal.AsBytes(data));
                continue;
            }
            for (int i = 0; i < data.Length; i += scratch.Length / 4)
            {
                int n = Math.Min(scratch.Length / 4, data.Length - i);
                for (int j = 0; j < n; j++) BinaryPrimitives.WriteSingleLittleEndian(scratch.AsSpan(4 * j), data[i + j]);
                stream.Write(scratch, 0, 4 * n);
            }
        }
    }

    /// <summary>The header JSON, padded with spaces to make 8 + its length a multiple of 8.</summary>
    private sealed record Entry(string Name, Tensor? Float, Int64Tensor? Int64)
    {
        public ReadOnlySpan<int> Shape => Float is not null ? Float.Shape : Int64!.Shape;
        public long Bytes => Float is not null ? 4L * Float.Length : 8L * Int64!.Data.Length;
        public string DType => Float is not null ? "F32" : "I64";
    }

    private static byte[] BuildHeader(Entry[] entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        // Relaxed escaping keeps non-ASCII names as raw UTF-8, as the reference (serde_json) writes them.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var entry in entries)
            {
                long end = offset + entry.Bytes;
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", entry.DType);
                json.WriteStartArray("shape");
                foreach (int d in entry.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }
            json.WriteEndObject();
        }
        int padding = (8 - buffer.WrittenCount % 8) % 8;
        var header = new byte[buffer.WrittenCount + padding];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    // ---------------------------------------------------------------- reading

    /// <summary>Reads every tensor (as float32) and the metadata of the safetensors file at <paramref name="path"/>.</summary>
    public static SafeTensorsFile Read(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ModelFileException(path, $"{path}: file not found; check the path to the safetensors file.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFileException(path, $"{path}: cannot open the safetensors file: {e.Message}", e);
        }
        using (stream) return Read(stream, path);
    }

    /// <summary>Reads a safetensors file from <paramref name="stream"/>; <paramref name="name"/> is used in error messages.</summary>
    public static SafeTensorsFile Read(Stream stream, string name)
    {
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }
        long length = stream.Length - stream.Position;
        if (length < 8)
            throw Corrupt(name, $"the file has only {length} bytes, fewer than the 8-byte header length; the file is truncated or not a safetensors file");

        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(length - 8))
            throw Corrupt(name, $"the header length {headerLength} exceeds the {length - 8} bytes that follow it; the file is truncated or not a safetensors file");
        if (headerLength > MaxHeaderLength)
            throw Corrupt(name, $"the header length {headerLength} exceeds the {MaxHeaderLength}-byte limit; the file is damaged or not a safetensors file");

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataLength = length - 8 - (long)headerLength;

        var (specs, metadata) = ParseHeader(header, dataLength, name);

        var entries = new List<(string, string, Tensor)>(specs.Count);
        var int64 = new Dictionary<string, Int64Tensor>(StringComparer.Ordinal);
        byte[] buffer = [];
        foreach (var spec in specs)
        {
            int bytes = checked((int)(spec.End - spec.Begin));
            if (buffer.Length < bytes) buffer = new byte[bytes];
            stream.ReadExactly(buffer, 0, bytes);
            var tensor = new Tensor(spec.Shape);
            if (spec.DType == "I64")
            {
                var longs = new long[tensor.Length];
                for (int i = 0; i < longs.Length; i++) longs[i] = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(8 * i));
                for (int i = 0; i < longs.Length; i++) tensor.Data[i] = longs[i];
                int64[spec.Name] = new Int64Tensor(spec.Shape, longs);
            }
            else ConvertToFloat(buffer.AsSpan(0, bytes), spec.DType, tensor.Span);
            entries.Add((spec.Name, spec.DType, tensor));
        }
        return new SafeTensorsFile(name, entries, metadata, int64);
    }

    private sealed record Spec(string Name, string DType, int[] Shape, long Begin, long End);

    /// <summary>Parses and validates the header; returns the tensors in data order and the metadata.</summary>
    private static (List<Spec> Specs, Dictionary<string, string> Metadata) ParseHeader(byte[] header, long dataLength, string name)
    {
        int first = Array.FindIndex(header, b => b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'));
        if (first < 0 || header[first] != (byte)'{')
            throw Corrupt(name, "the header is not a JSON object (it does not start with '{'); the file is damaged or not a safetensors file");

        if (!System.Text.Unicode.Utf8.IsValid(header))
            throw Corrupt(name, "the header is not valid UTF-8 text; the file is damaged or not a safetensors file");

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw Corrupt(name, $"the header is not valid JSON ({e.Message}); the file is damaged or not a safetensors file");
        }

        var specs = new List<Spec>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw Corrupt(name, $"the header is a JSON {doc.RootElement.ValueKind} but must be an object");
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw Corrupt(name, $"the name '{property.Name}' appears twice in the header");
                if (property.Name == MetadataKey)
                    ReadMetadata(property.Value, metadata, name);
                else
                    specs.Add(ReadSpec(property.Name, property.Value, dataLength, name));
            }
        }

        // The tensors must tile the data section: sorted by offset, each starts where the previous one ends.
        specs.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        string? previous = null;
        foreach (var spec in specs)
        {
            if (spec.Begin < expected)
                throw Corrupt(name, spec.Name, $"tensor '{spec.Name}' data_offsets [{spec.Begin}, {spec.End}] overlap tensor '{previous}', which ends at {expected}");
            if (spec.Begin > expected)
                throw Corrupt(name, spec.Name, $"tensor '{spec.Name}' starts at {spec.Begin} but the previous data ends at {expected}; the data section has a gap");
            expected = spec.End;
            previous = spec.Name;
        }
        if (expected != dataLength)
            throw Corrupt(name, $"the tensors cover {expected} bytes but the data section has {dataLength}; the file has trailing bytes or a damaged header");
        return (specs, metadata);
    }

    private static void ReadMetadata(JsonElement element, Dictionary<string, string> metadata, string name)
    {
        if (element.ValueKind == JsonValueKind.Null) return;
        if (element.ValueKind != JsonValueKind.Object)
            throw Corrupt(name, $"'{MetadataKey}' is a JSON {element.ValueKind} but must be an object of strings");
        foreach (var entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw Corrupt(name, $"metadata entry '{entry.Name}' is a JSON {entry.Value.ValueKind} but metadata values must be strings");
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
                throw Corrupt(name, $"metadata key '{entry.Name}' appears twice");
        }
    }

    private static Spec ReadSpec(string tensor, JsonElement element, long dataLength, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw Corrupt(name, tensor, $"the entry of tensor '{tensor}' is a JSON {element.ValueKind} but must be an object with dtype, shape and data_offsets");

        if (!element.TryGetProperty("dtype", out var dtypeElement))
            throw Corrupt(name, tensor, $"tensor '{tensor}' has no \"dtype\"");
        if (dtypeElement.ValueKind != JsonValueKind.String)
            throw Corrupt(name, tensor, $"tensor '{tensor}' has a \"dtype\" that is a JSON {dtypeElement.ValueKind}, not a string");
        string dtype = dtypeElement.GetString()!;
        int elementSize = ElementSize(dtype);
        if (elementSize == 0)
            throw new TensorFormatException(name, tensor, null, $"{name}: tensor '{tensor}' has dtype '{dtype}', which Jimu cannot read; it reads F32, F64, F16, BF16 and I64. Convert the tensors to float32 before saving.");

        if (!element.TryGetProperty("shape", out var shapeElement))
            throw Corrupt(name, tensor, $"tensor '{tensor}' has no \"shape\"");
        if (shapeElement.ValueKind != JsonValueKind.Array)
            throw Corrupt(name, tensor, $"tensor '{tensor}' has a \"shape\" that is a JSON {shapeElement.ValueKind}, not an array");
        var shape = new int[shapeElement.GetArrayLength()];
        long count = 1;
        int i = 0;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long size))
                throw Corrupt(name, tensor, $"tensor '{tensor}' has shape {shapeElement.GetRawText()}, whose entries must be integers");
            if (size < 0)
                throw Corrupt(name, tensor, $"tensor '{tensor}' has shape {shapeElement.GetRawText()} with a negative size");
            if (size > Array.MaxLength || (count *= size) > Array.MaxLength)
                throw Corrupt(name, tensor, $"tensor '{tensor}' has shape {shapeElement.GetRawText()}, more elements than Jimu can hold in one tensor");
            shape[i++] = (int)size;
        }

        if (!element.TryGetProperty("data_offsets", out var offsetsElement))
            throw Corrupt(name, tensor, $"tensor '{tensor}' has no \"data_offsets\"", shape);
        if (offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2
            || offsetsElement[0].ValueKind != JsonValueKind.Number || offsetsElement[1].ValueKind != JsonValueKind.Number
            || !offsetsElement[0].TryGetInt64(out long begin) || !offsetsElement[1].TryGetInt64(out long end)
            || begin < 0 || end < 0)
            throw Corrupt(name, tensor, $"tensor '{tensor}' has data_offsets {offsetsElement.GetRawText()}, which must be two non-negative integers [begin, end]", shape);
        if (begin > end)
            throw Corrupt(name, tensor, $"tensor '{tensor}' data_offsets [{begin}, {end}] end before they begin", shape);
        if (end > dataLength)
            throw Corrupt(name, tensor, $"tensor '{tensor}' data_offsets [{begin}, {end}] exceed the {dataLength}-byte data section; the file is truncated or damaged", shape);
        long expectedBytes = count * elementSize;
        if (end - begin != expectedBytes)
            throw Corrupt(name, tensor, $"tensor '{tensor}' data_offsets [{begin}, {end}] hold {end - begin} bytes but shape {Tensor.Format(shape)} of {dtype} needs {expectedBytes}", shape);

        return new Spec(tensor, dtype, shape, begin, end);
    }

    /// <summary>Bytes per element of the dtypes Jimu reads; 0 for any other.</summary>
    private static int ElementSize(string dtype) => dtype switch
    {
        "F64" or "I64" => 8,
        "F32" => 4,
        "F16" or "BF16" => 2,
        _ => 0,
    };

    /// <summary>Converts little-endian <paramref name="dtype"/> elements in <paramref name="bytes"/> to float32.</summary>
    private static void ConvertToFloat(ReadOnlySpan<byte> bytes, string dtype, Span<float> destination)
    {
        switch (dtype)
        {
            case "F32" when BitConverter.IsLittleEndian:
                MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
                break;
            case "F32":
                for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                break;
            case "F64":
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]);
                break;
            case "F16":
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
                break;
            case "BF16":
                // bfloat16 is the top half of a float32.
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) << 16);
                break;
            default:
                throw new InvalidOperationException($"Unhandled dtype {dtype}.");
        }
    }

    private static ModelFileException Corrupt(string name, string what) => new(name, $"{name}: corrupt safetensors file: {what}.");

    /// <summary>A damaged entry of one tensor: a <see cref="TensorFormatException"/> naming it (and its shape once read).</summary>
    private static TensorFormatException Corrupt(string name, string tensor, string what, int[]? shape = null) =>
        new(name, tensor, shape?.Select(d => (long)d).ToArray(), $"{name}: corrupt safetensors file: {what}.");
}
