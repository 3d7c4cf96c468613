using Google.Protobuf;
using Jimu.Onnx.Proto;

namespace Jimu.Onnx.Tests;

/// <summary>Broken or unsupported ONNX files: a one-line error naming the file and a non-zero exit, never a crash or a different network.</summary>
public class BadInputTests
{
    private static byte[] Exported() => TestNetworks.Create("lenet5").ToOnnxBytes();

    /// <summary>Runs `jimu summary --model FILE` on <paramref name="bytes"/> and returns the error line.</summary>
    private static string Refused(byte[] bytes)
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.onnx");
        File.WriteAllBytes(path, bytes);
        var (code, _, error) = CliRunner.Run("summary", "--model", path);
        Assert.Equal(1, code);
        string line = error.TrimEnd('\n');
        Assert.StartsWith("error: ", line);
        Assert.DoesNotContain('\n', line);
        Assert.Contains("bad.onnx", line);
        return line;
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.999)]
    public void TruncatedFile(double keep)
    {
        var bytes = Exported();
        var line = Refused(bytes[..(int)(bytes.Length * keep)]);
        Assert.Matches("truncated|corrupt", line);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void RandomBytes(int seed)
    {
        var bytes = new byte[1000 * seed];
        new Random(seed).NextBytes(bytes);
        Refused(bytes);
    }

    [Fact]
    public void TheLibrary_SaysWhichFile_InATypedException()
    {
        // Every refusal of a file is a ModelFileException naming it, whichever part of the import found the fault.
        var truncated = Exported()[..100];
        var e = Assert.ThrowsAny<ModelFileException>(() => Jimu.Models.Model.FromOnnx(truncated, "cut.onnx"));
        Assert.Equal("cut.onnx", e.Path);
        var proto = ModelProto.Parser.ParseFrom(Exported());
        var w = proto.Graph.Initializer[0];
        w.RawData = ByteString.CopyFrom(w.RawData.Span[..^4]);
        e = Assert.ThrowsAny<ModelFileException>(() => Jimu.Models.Model.FromOnnx(proto.ToByteArray(), "short.onnx"));
        Assert.Equal("short.onnx", e.Path);
        Assert.Contains("holds 596 bytes", e.Message);
        using var dir = new TempDirectory();
        var missing = Assert.ThrowsAny<ModelFileException>(() => Jimu.Models.Model.LoadOnnx(dir.File("none.onnx")));
        Assert.Equal(dir.File("none.onnx"), missing.Path);
    }

    [Fact]
    public void A_damaged_initializer_is_a_TensorFormatException_naming_the_file_the_tensor_and_its_dims()
    {
        TensorFormatException Import(Action<TensorProto> damage)
        {
            var proto = ModelProto.Parser.ParseFrom(Exported());
            damage(proto.Graph.Initializer[0]);
            return Assert.Throws<TensorFormatException>(() => Jimu.Models.Model.FromOnnx(proto.ToByteArray(), "lenet5.onnx"));
        }
        string name = ModelProto.Parser.ParseFrom(Exported()).Graph.Initializer[0].Name;

        var e = Import(w => w.RawData = ByteString.CopyFrom(w.RawData.Span[..^4]));
        Assert.Equal(("lenet5.onnx", name), (e.Path, e.TensorName));
        Assert.Equal([6L, 1L, 5L, 5L], e.Dimensions!);
        Assert.Equal($"lenet5.onnx: initializer '{name}': tensor '{name}' has shape [6, 1, 5, 5] (150 values) but holds 596 bytes; the file is corrupt or truncated.", e.Message);

        e = Import(w => w.Dims[1] = -1);
        Assert.Equal([6L, -1L, 5L, 5L], e.Dimensions!);
        Assert.Contains("has a negative dimension -1", e.Message);

        e = Import(w => w.DataType = (int)TensorProto.Types.DataType.Uint8);
        Assert.Contains("has element type uint8", e.Message);

        e = Import(w =>
        {
            w.DataLocation = TensorProto.Types.DataLocation.External;
            w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        });
        Assert.Contains("keeps its data in an external file", e.Message);

        e = Import(w => { w.Dims.Clear(); w.Dims.Add([1L << 40, 1L << 30]); });
        Assert.Equal([1L << 40, 1L << 30], e.Dimensions!);
    }

    [Fact]
    public void A_node_Jimu_cannot_import_is_a_ModelFileException_naming_the_file()
    {
        var proto = ModelProto.Parser.ParseFrom(Exported());
        proto.Graph.Node[0].Attribute.Add(new AttributeProto { Name = "fancy", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        var e = Assert.Throws<ModelFileException>(() => Jimu.Models.Model.FromOnnx(proto.ToByteArray(), "fancy.onnx"));
        Assert.Equal("fancy.onnx", e.Path);
        Assert.StartsWith("fancy.onnx: node 'conv1' (Conv): attribute 'fancy' is not supported", e.Message);
        Assert.Null(e.InnerException); // refused where it was found, not wrapped on the way out
    }

    [Fact]
    public void EmptyFile() => Assert.Contains("not an ONNX model", Refused([]));

    [Fact]
    public void InitializerSizeDoesNotMatchItsShape()
    {
        var proto = ModelProto.Parser.ParseFrom(Exported());
        var w = proto.Graph.Initializer[0];
        w.RawData = ByteString.CopyFrom(w.RawData.Span[..^4]);
        var line = Refused(proto.ToByteArray());
        Assert.Contains($"tensor '{w.Name}' has shape [6, 1, 5, 5] (150 values) but holds 596 bytes", line);
    }

    [Fact]
    public void InitializerClaimingHugeDimsAllocatesNothing()
    {
        var proto = ModelProto.Parser.ParseFrom(Exported());
        var w = proto.Graph.Initializer[0];
        w.Dims.Clear();
        w.Dims.Add([1L << 40, 1L << 30]);
        Assert.Contains("corrupt", Refused(proto.ToByteArray()));
    }

    [Fact]
    public void InputThatIsNot4D()
    {
        var proto = ModelProto.Parser.ParseFrom(Exported());
        proto.Graph.Input[0].Type.TensorType.Shape.Dim.RemoveAt(1);
        var line = Refused(proto.ToByteArray());
        Assert.Contains("input 'input' has shape [N, 28, 28], which is 3-D", line);
    }

    [Fact]
    public void HugeInputOrPaddingFromATinyFileIsRefused()
    {
        var proto = ModelProto.Parser.ParseFrom(Exported());
        proto.Graph.Input[0].Type.TensorType.Shape.Dim[2].DimValue = 1 << 20;
        proto.Graph.Input[0].Type.TensorType.Shape.Dim[3].DimValue = 1 << 20;
        Assert.Contains("values per image", Refused(proto.ToByteArray()));

        proto = ModelProto.Parser.ParseFrom(Exported());
        var pads = proto.Graph.Node[0].Attribute.Single(a => a.Name == "pads");
        pads.Ints[0] = 1L << 40;
        Assert.Contains("must be non-negative and at most", Refused(proto.ToByteArray()));
    }

    [Fact]
    public void BranchingGraphIsRefused()
    {
        var proto = ModelProto.Parser.ParseFrom(Exported());
        // The second conv reads the input again instead of the first pool's output.
        var conv2 = proto.Graph.Node.First(n => n.Name == "conv2");
        conv2.Input[0] = "input";
        Assert.Contains("branches", Refused(proto.ToByteArray()));
    }

    [Fact]
    public void UnknownAttributeIsRefusedRatherThanIgnored()
    {
        var proto = ModelProto.Parser.ParseFrom(Exported());
        proto.Graph.Node[0].Attribute.Add(new AttributeProto { Name = "fancy", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        Assert.Contains("node 'conv1' (Conv): attribute 'fancy' is not supported", Refused(proto.ToByteArray()));
    }

    [Fact]
    public void ArchOptionWithOnnxIsRefused()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.onnx");
        File.WriteAllBytes(path, Exported());
        var (code, _, error) = CliRunner.Run("summary", "--model", path, "--arch", "lenet5");
        Assert.Equal(1, code);
        Assert.Contains("leave out --arch", error);
    }
}
