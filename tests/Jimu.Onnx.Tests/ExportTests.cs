using Jimu.Models;
using Jimu.Tensors;

namespace Jimu.Onnx.Tests;

/// <summary>Exported models run in ONNX Runtime give Jimu's logits; importing them back gives Jimu's model bit for bit.</summary>
public class ExportTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var name in TestNetworks.Names) { data.Add(name, 1); data.Add(name, 64); }
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void OnnxRuntimeGivesJimusLogits(string network, int batch)
    {
        var model = TestNetworks.Create(network);
        var input = Agreement.Random(TestNetworks.InputCount(model, batch), seed: batch);
        int[] shape = [batch, .. model.Network.InputShape];
        var jimu = model.Predict(new Tensor(input, shape)).SelectMany(p => p.Logits).ToArray();

        var ort = OnnxRuntimeRunner.Run(model.ToOnnxBytes(), input, shape);

        Agreement.Logits(jimu, ort, batch);
    }

    [Theory, MemberData(nameof(Names))]
    public void RoundTripKeepsArchitectureAndEveryTensorBitForBit(string network)
    {
        var model = TestNetworks.Create(network);
        var back = Model.FromOnnx(model.ToOnnxBytes(), $"{network}.onnx");

        Assert.Equal(model.Architecture.ToJson(), back.Architecture.ToJson());
        Assert.Equal(model.Network.Parameters.Select(p => p.Name), back.Network.Parameters.Select(p => p.Name));
        foreach (var ((_, a), (_, b)) in model.Network.Parameters.Zip(back.Network.Parameters))
            Assert.Equal(Bits(a.Value), Bits(b.Value));
        Assert.Equal(model.Network.Buffers.Select(b => b.Name), back.Network.Buffers.Select(b => b.Name));
        foreach (var ((_, a), (_, b)) in model.Network.Buffers.Zip(back.Network.Buffers))
        {
            if (a.Value is not null) Assert.Equal(Bits(a.Value), Bits(b.Value!));
            else Assert.Equal(a.Int64, b.Int64);
        }
        Assert.Equal(model.Classes, back.Classes);
        Assert.Equal(model.Normalization?.Mean, back.Normalization?.Mean);
        Assert.Equal(model.Normalization?.Std, back.Normalization?.Std);
        var input = new Tensor(Agreement.Random(TestNetworks.InputCount(model, 3), seed: 5), [3, .. model.Network.InputShape]);
        Assert.Equal(model.Predict(input).SelectMany(p => p.Logits), back.Predict(input).SelectMany(p => p.Logits));
    }

    public static TheoryData<string> Names() => new(TestNetworks.Names);

    /// <summary>The exact bit patterns, so that -0 ≠ 0 and NaN payloads count.</summary>
    public static int[] Bits(Tensor t) => t.Span.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    [Fact]
    public void InitFromOnnxCopiesWeightsIntoAMatchingArchitectureAndRefusesAnother()
    {
        using var dir = new TempDirectory();
        string path = dir.File("lenet5.onnx");
        var source = TestNetworks.Create("lenet5");
        source.ExportOnnx(path);

        var target = Model.Create(BuiltIns.LeNet5, seed: 99);
        target.LoadWeightsFromOnnx(path);
        foreach (var ((_, a), (_, b)) in source.Network.Parameters.Zip(target.Network.Parameters))
            Assert.Equal(Bits(a.Value), Bits(b.Value));

        var e = Assert.ThrowsAny<JimuException>(() => Model.Create(BuiltIns.MnistTf).LoadWeightsFromOnnx(path));
        Assert.Contains("weights do not fit the architecture 'mnist-tf': its layer 1 is conv 1>32", e.Message);
    }

    [Fact]
    public void ExportedGraphHasTheDocumentedInterface()
    {
        var proto = OnnxExport.ToOnnx(TestNetworks.Create("mnist-tf"));
        Assert.Equal(8, proto.IrVersion);
        Assert.Equal(17, proto.OpsetImport.Single().Version);
        var input = proto.Graph.Input.Single();
        Assert.Equal("input", input.Name);
        Assert.Equal("N", input.Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal([1L, 28, 28], input.Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue));
        Assert.Equal("logits", proto.Graph.Output.Single().Name);
        Assert.Equal(["Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm"], proto.Graph.Node.Select(n => n.OpType));
        Assert.Equal(["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"],
            proto.Graph.Initializer.Select(i => i.Name));
        // TensorFlow's "same" for 5×5 at stride 1: two on every side.
        Assert.Equal([2L, 2, 2, 2], proto.Graph.Node[0].Attribute.Single(a => a.Name == "pads").Ints);
        Assert.Contains(proto.MetadataProps, p => p.Key == "jimu.architecture" && p.Value.Contains("\"mnist-tf\""));
    }

    [Fact]
    public void BatchNormNetworkHasNormalisationAtTheFrontAndClassNamesInMetadata()
    {
        var proto = OnnxExport.ToOnnx(TestNetworks.Create("bn-net"));
        Assert.Equal(["Sub", "Div", "Conv", "BatchNormalization", "Relu", "MaxPool", "Conv", "BatchNormalization", "LeakyRelu", "Conv", "Tanh",
            "GlobalAveragePool", "Flatten", "Gemm", "BatchNormalization", "Sigmoid", "Gemm"], proto.Graph.Node.Select(n => n.OpType));
        Assert.Equal("input", proto.Graph.Node[0].Input[0]);
        Assert.Contains(proto.MetadataProps, p => p.Key == "jimu.classes" && p.Value == "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\"]");
        Assert.Contains(proto.MetadataProps, p => p.Key == "jimu.normalization");
        Assert.Equal(0.001f, proto.Graph.Node.Where(n => n.OpType == "BatchNormalization").ElementAt(1).Attribute.Single(a => a.Name == "epsilon").F);
    }

    [Fact]
    public void AsymmetricSamePaddingIsWrittenAsExplicitPads()
    {
        var proto = OnnxExport.ToOnnx(TestNetworks.Create("asym-same-avg"));
        // 15×13 input, kernel 4, stride 2: out 8×7, total padding 4+... = (8−1)·2+4−15 = 3 rows, (7−1)·2+4−13 = 3 columns:
        // one before, two after (the extra at the bottom/right), ONNX order [top, left, bottom, right].
        Assert.Equal([1L, 1, 2, 2], proto.Graph.Node[0].Attribute.Single(a => a.Name == "pads").Ints);
        var avg = proto.Graph.Node.Single(n => n.OpType == "AveragePool");
        Assert.Equal(1, avg.Attribute.Single(a => a.Name == "count_include_pad").I);
        Assert.DoesNotContain(proto.Graph.Node, n => n.OpType == "Dropout");
    }
}
