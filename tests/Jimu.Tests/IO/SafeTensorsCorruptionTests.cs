using System.Text;
using Jimu.IO;
using Jimu.Tensors;

namespace Jimu.Tests.IO;

/// <summary>Every malformed file is a one-line <see cref="JimuException"/> that names the file and says what is wrong.</summary>
public class SafeTensorsCorruptionTests
{
    private const string Name = "model.safetensors";

    private static byte[] F(string header, int dataBytes) => SafeTensorsBytes.Build(header, new byte[dataBytes]);

    private static string Entry(string name, string shape, long begin, long end, string dtype = "F32") =>
        $$"""
        "{{name}}":{"dtype":"{{dtype}}","shape":{{shape}},"data_offsets":[{{begin}},{{end}}]}
        """;

    public static TheoryData<string, byte[], string> Cases => new()
    {
        { "empty file", [], "only 0 bytes, fewer than the 8-byte header length" },
        { "shorter than 8 bytes", [1, 0, 0, 0, 0], "only 5 bytes" },
        { "header length past the end", SafeTensorsBytes.WithLength(1000, new byte[20]), "header length 1000 exceeds the 20 bytes that follow it" },
        { "huge header length", SafeTensorsBytes.WithLength(ulong.MaxValue, new byte[20]), "header length 18446744073709551615 exceeds" },
        { "header not an object", F("[1, 2]", 0), "not a JSON object" },
        { "invalid JSON", F("""{"a": {"dtype": "F32", """, 0), "not valid JSON" },
        { "invalid UTF-8", SafeTensorsBytes.WithLength(8, [(byte)'{', (byte)'"', 0xff, 0xfe, (byte)'"', (byte)':', (byte)'1', (byte)'}']), "not valid UTF-8" },
        { "entry not an object", F("""{"a":5}""", 0), "entry of tensor 'a' is a JSON Number" },
        { "missing dtype", F("""{"a":{"shape":[1],"data_offsets":[0,4]}}""", 4), "tensor 'a' has no \"dtype\"" },
        { "missing shape", F("""{"a":{"dtype":"F32","data_offsets":[0,4]}}""", 4), "tensor 'a' has no \"shape\"" },
        { "missing data_offsets", F("""{"a":{"dtype":"F32","shape":[1]}}""", 4), "tensor 'a' has no \"data_offsets\"" },
        { "dtype not a string", F("""{"a":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}""", 4), "\"dtype\" that is a JSON Number" },
        { "shape not an array", F("""{"a":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}""", 4), "\"shape\" that is a JSON Number" },
        { "offsets out of range", F("{" + Entry("fc1.weight", "[2]", 0, 8) + "}", 4), "tensor 'fc1.weight' data_offsets [0, 8] exceed the 4-byte data section; the file is truncated or damaged" },
        { "offsets overlap", F("{" + Entry("a", "[2]", 0, 8) + "," + Entry("b", "[2]", 4, 12) + "}", 12), "tensor 'b' data_offsets [4, 12] overlap tensor 'a'" },
        { "offsets leave a gap", F("{" + Entry("a", "[1]", 0, 4) + "," + Entry("b", "[1]", 8, 12) + "}", 12), "tensor 'b' starts at 8 but the previous data ends at 4" },
        { "offsets end before begin", F("{" + Entry("a", "[1]", 8, 4) + "}", 8), "data_offsets [8, 4] end before they begin" },
        { "offsets negative", F("{" + Entry("a", "[1]", -4, 0) + "}", 4), "must be two non-negative integers" },
        { "offsets of wrong arity", F("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", 4), "must be two non-negative integers" },
        { "size does not match shape", F("{" + Entry("a", "[3]", 0, 8) + "}", 8), "hold 8 bytes but shape [3] of F32 needs 12" },
        { "size does not match dtype", F("{" + Entry("a", "[4]", 0, 16, "F16") + "}", 16), "hold 16 bytes but shape [4] of F16 needs 8" },
        { "negative shape", F("{" + Entry("a", "[-1, 2]", 0, 0) + "}", 0), "negative size" },
        { "fractional shape", F("{" + Entry("a", "[1.5]", 0, 4) + "}", 4), "must be integers" },
        { "shape too large", F("{" + Entry("a", "[100000, 100000]", 0, 4) + "}", 4), "more elements than Jimu can hold" },
        { "duplicate tensor name", F("{" + Entry("a", "[1]", 0, 4) + "," + Entry("a", "[1]", 4, 8) + "}", 8), "name 'a' appears twice" },
        { "trailing bytes", F("{" + Entry("a", "[1]", 0, 4) + "}", 12), "the tensors cover 4 bytes but the data section has 12" },
        { "metadata not an object", F("""{"__metadata__":[],"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4), "'__metadata__' is a JSON Array" },
        { "metadata value not a string", F("""{"__metadata__":{"epoch":3}}""", 0), "metadata entry 'epoch' is a JSON Number" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void CorruptFileIsAClearError(string what, byte[] bytes, string expected)
    {
        var e = Assert.ThrowsAny<JimuException>(() => SafeTensors.Read(new MemoryStream(bytes), Name));
        Assert.StartsWith($"{Name}: corrupt safetensors file: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.NotEmpty(what);
    }

    [Theory]
    [InlineData("I32")]
    [InlineData("U8")]
    [InlineData("BOOL")]
    [InlineData("F8_E4M3")]
    public void UnsupportedDTypeIsAClearError(string dtype)
    {
        byte[] bytes = F("{" + Entry("step", "[]", 0, 0, dtype) + "}", 0);
        var e = Assert.ThrowsAny<JimuException>(() => SafeTensors.Read(new MemoryStream(bytes), Name));
        Assert.Contains($"{Name}: tensor 'step' has dtype '{dtype}'", e.Message);
        Assert.Contains("F32, F64, F16, BF16 and I64", e.Message);
    }

    [Fact]
    public void TruncatedFileOnDiskNamesThePath()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        SafeTensors.Write(path, new Dictionary<string, Tensor> { ["w"] = new Tensor(10, 10) });
        byte[] full = File.ReadAllBytes(path);
        File.WriteAllBytes(path, full[..^3]);

        var e = Assert.ThrowsAny<JimuException>(() => SafeTensors.Read(path));
        Assert.Contains($"{path}: corrupt safetensors file: tensor 'w' data_offsets [0, 400] exceed the 397-byte data section", e.Message);

        File.WriteAllBytes(path, full[..20]);
        e = Assert.ThrowsAny<JimuException>(() => SafeTensors.Read(path));
        Assert.Contains($"{path}: corrupt safetensors file: the header length", e.Message);
        Assert.Equal(Encoding.ASCII.GetBytes("{\"w\""), full[8..12]);
    }
}
