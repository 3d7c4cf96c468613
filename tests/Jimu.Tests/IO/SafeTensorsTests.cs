using System.Text;
using Jimu.IO;
using Jimu.Tensors;

namespace Jimu.Tests.IO;

public class SafeTensorsTests
{
    private static Tensor T(float[] data, params int[] shape) => new(data, shape);

    [Fact]
    public void HeaderLayoutMatchesTheFormatByteForByte()
    {
        var tensors = new Dictionary<string, Tensor>
        {
            ["b"] = T([0.5f], 1, 1),
            ["a"] = T([1f, -2f], 2),
        };
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };

        // What the reference implementation writes: compact JSON, __metadata__ first, tensors sorted by name,
        // keys dtype/shape/data_offsets, padded with spaces so the data section starts at a multiple of 8.
        const string json = """{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]}}""";
        Assert.Equal(141, json.Length);
        byte[] expected =
        [
            .. SafeTensorsBytes.Hex("90 00 00 00 00 00 00 00"),  // 141 + 3 spaces = 144 = 0x90
            .. Encoding.ASCII.GetBytes(json + "   "),
            .. SafeTensorsBytes.Hex("0000803F 000000C0 0000003F"),  // 1, -2, 0.5
        ];

        var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        Assert.Equal(expected, stream.ToArray());

        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        SafeTensors.Write(path, tensors, metadata);
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void NoMetadataMeansNoMetadataKey()
    {
        var stream = new MemoryStream();
        SafeTensors.Write(stream, new Dictionary<string, Tensor> { ["w"] = T([3f], 1) });
        byte[] bytes = stream.ToArray();
        Assert.Equal(56, BitConverter.ToInt64(bytes, 0));
        Assert.Equal("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""".PadRight(56), Encoding.UTF8.GetString(bytes, 8, 56));
    }

    [Fact]
    public void RoundTripKeepsValuesShapesAndMetadata()
    {
        var rng = new Random(7);
        var tensors = new Dictionary<string, Tensor>
        {
            ["conv1.weight"] = GradientCheck.Random(rng, 4, 1, 3, 3),
            ["conv1.bias"] = GradientCheck.Random(rng, 4),
            ["fc.weight"] = GradientCheck.Random(rng, 10, 36),
            ["scalar"] = T([float.NaN]),
            ["empty"] = new Tensor(0, 3),
            ["naïve \"name\" ✓"] = T([float.PositiveInfinity, -0f, float.Epsilon], 3),
        };
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode \"quoted\"\n<tag>" };

        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        SafeTensors.Write(path, tensors, metadata);
        Assert.Equal(0, new FileInfo(path).Length % 4);
        var file = SafeTensors.Read(path);

        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), file.Names);
        Assert.Equal(metadata, file.Metadata);
        foreach (var (name, t) in tensors)
        {
            var read = file[name];
            Assert.Equal(t.Shape.ToArray(), read.Shape.ToArray());
            Assert.Equal(t.Span.ToArray(), read.Span.ToArray());
            Assert.Equal("F32", file.DTypeOf(name));
        }
        Assert.Equal(["model.safetensors"], dir.FileNames());
    }

    [Fact]
    public void OverwritesAnExistingFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.safetensors");
        SafeTensors.Write(path, new Dictionary<string, Tensor> { ["a"] = T([1f], 1) });
        SafeTensors.Write(path, new Dictionary<string, Tensor> { ["b"] = T([2f, 3f], 2) });
        var file = SafeTensors.Read(path);
        Assert.Equal(["b"], file.Names);
        Assert.Equal([2f, 3f], file["b"].Span.ToArray());
        Assert.Equal(["m.safetensors"], dir.FileNames());
    }

    [Fact]
    public void Int64Tensors_AreWrittenAsI64_InNameOrder_AndReadExactly()
    {
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, new Dictionary<string, Tensor> { ["a"] = Tensor.FromArray([2f], 1), ["c"] = Tensor.FromArray([3f], 1) },
            null, new Dictionary<string, Int64Tensor> { ["b"] = new([], [(1L << 40) + 1]) });
        var bytes = stream.ToArray();
        string header = System.Text.Encoding.UTF8.GetString(bytes, 8, (int)BitConverter.ToUInt64(bytes, 0));
        Assert.StartsWith("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"I64","shape":[],"data_offsets":[4,12]},"c":""", header);
        var file = SafeTensors.Read(new MemoryStream(bytes), "m.safetensors");
        Assert.Equal("I64", file.DTypeOf("b"));
        Assert.Equal((1L << 40) + 1, file.Int64["b"].Data[0]);
        Assert.Equal((float)((1L << 40) + 1), file["b"].Data[0]);
        Assert.Equal(3f, file["c"].Data[0]);
    }

    [Fact]
    public void ConvertsF64F16AndBF16ToFloat32()
    {
        const string header = """{"d":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"h":{"dtype":"F16","shape":[3],"data_offsets":[16,22]},"b":{"dtype":"BF16","shape":[1,3],"data_offsets":[22,28]}}""";
        byte[] data = SafeTensorsBytes.Hex(
            "000000000000F83F 000000000000D0BF" +  // F64: 1.5, -0.25
            "003C 00C0 FF7B" +                      // F16: 1, -2, 65504
            "803F 00C0 4940");                      // BF16: 1, -2, 3.140625
        var file = SafeTensors.Read(new MemoryStream(SafeTensorsBytes.Build(header, data)), "torch.safetensors");

        Assert.Equal(["d", "h", "b"], file.Names);
        Assert.Equal([1.5f, -0.25f], file["d"].Span.ToArray());
        Assert.Equal([1f, -2f, 65504f], file["h"].Span.ToArray());
        Assert.Equal([1f, -2f, 3.140625f], file["b"].Span.ToArray());
        Assert.Equal([1, 3], file["b"].Shape.ToArray());
        Assert.Equal(("F64", "F16", "BF16"), (file.DTypeOf("d"), file.DTypeOf("h"), file.DTypeOf("b")));
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void ReadsUnpaddedHeaderAndNullMetadata()
    {
        const string header = """{"__metadata__":null,"x":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}""";
        var file = SafeTensors.Read(new MemoryStream(SafeTensorsBytes.Build(header, SafeTensorsBytes.Hex("0000C03F"), pad: false)), "x");
        Assert.Equal(0, file["x"].Rank);
        Assert.Equal(1.5f, file["x"].Span[0]);
    }

    [Fact]
    public void MissingTensorAndWrongShapeAreClearErrors()
    {
        var stream = new MemoryStream();
        SafeTensors.Write(stream, new Dictionary<string, Tensor> { ["fc.weight"] = new Tensor(2, 3), ["fc.bias"] = new Tensor(2) });
        stream.Position = 0;
        var file = SafeTensors.Read(stream, "model.safetensors");

        var e = Assert.ThrowsAny<JimuException>(() => file["conv.weight"]);
        Assert.Contains("model.safetensors: no tensor named 'conv.weight'", e.Message);
        Assert.Contains("fc.bias, fc.weight", e.Message);

        Assert.Same(file["fc.weight"], file.Get("fc.weight", 2, 3));
        e = Assert.ThrowsAny<JimuException>(() => file.Get("fc.weight", 3, 2));
        Assert.Contains("'fc.weight' has shape [2, 3] but [3, 2] is expected", e.Message);
    }

    [Fact]
    public void ReservedOrEmptyNamesAreRejectedOnWrite()
    {
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(new MemoryStream(), new Dictionary<string, Tensor> { [""] = new Tensor(1) }));
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(new MemoryStream(), new Dictionary<string, Tensor> { ["__metadata__"] = new Tensor(1) }));
    }

    [Fact]
    public void MissingFileIsAnError()
    {
        using var dir = new TempDirectory();
        string path = dir.File("absent.safetensors");
        var e = Assert.ThrowsAny<JimuException>(() => SafeTensors.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("not found", e.Message);
    }
}
