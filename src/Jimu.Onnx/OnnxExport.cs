using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Google.Protobuf;
using Jimu.Data;
using Jimu.IO;
using Jimu.Layers;
using Jimu.Models;
using Jimu.Onnx.Proto;
using Jimu.Tensors;

namespace Jimu.Onnx;

/// <summary>
/// Writes a Jimu model as ONNX (opset 17, IR version 8) for ONNX Runtime and every other ONNX consumer:
/// input <c>input</c> [N, C, H, W] float32 with a dynamic batch N, output <c>logits</c>, the weights as
/// initializers under their Jimu names ("conv1.weight"), dropout left out (inference), the architecture JSON
/// in <c>metadata_props</c>. One node per layer:
/// <code>
/// conv2d    → Conv (explicit pads [top, left, bottom, right]: TensorFlow's asymmetric "same" resolved for the input size)
/// maxpool2d → MaxPool          avgpool2d → AveragePool (count_include_pad = 1: Jimu divides by the full window)
/// relu      → Relu             flatten   → Flatten (axis 1)
/// linear    → Gemm (transB = 1: the weight stays [out, in])        dropout → nothing
/// batchnorm2d, batchnorm1d → BatchNormalization (inference: the running statistics)
/// globalavgpool2d → GlobalAveragePool + Flatten      leakyrelu → LeakyRelu    sigmoid → Sigmoid    tanh → Tanh
/// normalisation (when the model has one) → Sub mean, Div std at the front: the ONNX model takes [0, 1] pixels
/// </code>
/// metadata_props also hold the class names (<c>jimu.classes</c>), the normalisation and the training data's
/// description as in a .safetensors model, and BatchNorm's num_batches_tracked (<c>jimu.int64_buffers</c>).
/// A layer with no ONNX counterpart is an <see cref="ArchitectureException"/> naming it (its index and field "type").
/// </summary>
public static class OnnxExport
{
    /// <summary>The ONNX operator set the exported graphs use.</summary>
    public const int Opset = 17;
    /// <summary>The ONNX IR version of exported files.</summary>
    public const int IrVersion = 8;
    /// <summary>Name of the graph's input, [N, C, H, W].</summary>
    public const string InputName = "input";
    /// <summary>Name of the graph's output, [N, classes].</summary>
    public const string OutputName = "logits";
    /// <summary>metadata_props key of the architecture JSON (the same key as in a .safetensors model).</summary>
    public const string ArchitectureKey = ModelFile.ArchitectureKey;

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> as ONNX, atomically.</summary>
    public static void ExportOnnx(this Model model, string path)
    {
        byte[] bytes = model.ToOnnx().ToByteArray();
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    /// <summary>The ONNX bytes of <paramref name="model"/>.</summary>
    public static byte[] ToOnnxBytes(this Model model) => model.ToOnnx().ToByteArray();

    internal static ModelProto ToOnnx(this Model model)
    {
        var network = model.Network;
        var graph = new GraphProto { Name = model.Architecture.Name };
        graph.Input.Add(ValueInfo(InputName, network.InputShape));

        string current = InputName;
        if (model.Normalization is { } norm) current = Normalize(graph, norm);
        int[] shape = [1, .. network.InputShape];
        for (int index = 0; index < network.Layers.Count; index++)
        {
            var layer = network.Layers[index];
            int[] outShape = layer.OutputShape(shape);
            var nodes = Nodes(layer, index, current, shape, graph);
            for (int i = 0; i < nodes.Count; i++)
            {
                // A layer's last node writes the value named after the layer; the ones before it "layer/Op".
                nodes[i].Name = i == nodes.Count - 1 ? layer.Name : $"{layer.Name}/{nodes[i].OpType}";
                if (i > 0) nodes[i].Input.Insert(0, current);
                nodes[i].Output.Add(nodes[i].Name);
                current = nodes[i].Name;
                graph.Node.Add(nodes[i]);
            }
            shape = outShape;
        }
        if (graph.Node.Count == 0)
            graph.Node.Add(new NodeProto { Name = "identity", OpType = "Identity", Input = { current }, Output = { "identity" } });
        // The last node writes the graph output directly: no trailing Identity.
        graph.Node[^1].Output[0] = OutputName;
        graph.Output.Add(ValueInfo(OutputName, shape[1..]));

        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "jimu",
            ProducerVersion = typeof(Model).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0",
            Graph = graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in Metadata(model)) proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return proto;
    }

    /// <summary>The metadata_props: architecture, and what the model knows of its data (the .safetensors keys and JSON).</summary>
    private static IEnumerable<(string, string)> Metadata(Model model)
    {
        yield return (ArchitectureKey, model.Architecture.ToJson());
        foreach (var entry in ModelFile.DataMetadataEntries(new ModelFile.DataMetadata(model.Classes, model.Normalization, model.TrainedOn)))
            yield return entry;
        var counts = model.Network.Buffers.Where(b => b.Buffer.Int64 is { Length: 1 })
            .ToDictionary(b => b.Name, b => b.Buffer.Int64![0]);
        if (counts.Count > 0) yield return (Int64BuffersKey, JsonSerializer.Serialize(counts, OnnxJsonContext.Default.DictionaryStringInt64));
    }

    /// <summary>metadata_props key of the int64 buffers (BatchNorm's num_batches_tracked), which no ONNX node uses: {"bn1.num_batches_tracked": 120}.</summary>
    public const string Int64BuffersKey = "jimu.int64_buffers";

    /// <summary>(input − mean) / std per channel, as nodes at the front: the ONNX model takes [0, 1] pixels as `jimu predict` does.</summary>
    private static string Normalize(GraphProto graph, Normalization norm)
    {
        int c = norm.Channels;
        graph.Initializer.Add(OnnxTensors.FromTensor("normalization.mean", new Tensor((float[])norm.Mean.Clone(), 1, c, 1, 1)));
        graph.Initializer.Add(OnnxTensors.FromTensor("normalization.std", new Tensor((float[])norm.Std.Clone(), 1, c, 1, 1)));
        graph.Node.Add(new NodeProto { Name = "normalization/Sub", OpType = "Sub", Input = { InputName, "normalization.mean" }, Output = { "normalization/Sub" } });
        graph.Node.Add(new NodeProto { Name = "normalization", OpType = "Div", Input = { "normalization/Sub", "normalization.std" }, Output = { "normalization" } });
        return "normalization";
    }

    /// <summary>
    /// The nodes computing <paramref name="layer"/> from <paramref name="input"/> (shape with batch 1), its weights added
    /// to the graph; none for layers that vanish at inference. Each node after the first takes the previous one's output.
    /// </summary>
    private static List<NodeProto> Nodes(Layer layer, int index, string input, int[] shape, GraphProto graph)
    {
        switch (layer)
        {
            case Conv2D c:
            {
                var node = Op("Conv", input);
                node.Input.Add(Initializer(graph, layer, "weight"));
                if (c.HasBias) node.Input.Add(Initializer(graph, layer, "bias"));
                node.Attribute.Add(Ints("kernel_shape", c.KernelH, c.KernelW));
                node.Attribute.Add(Ints("strides", c.StrideH, c.StrideW));
                node.Attribute.Add(Ints("pads", Pads(c.Padding, shape, c.KernelH, c.KernelW, c.StrideH, c.StrideW)));
                node.Attribute.Add(Ints("dilations", 1, 1));
                node.Attribute.Add(Int("group", 1));
                return [node];
            }
            case Pool2D p:
            {
                var node = Op(p is MaxPool2D ? "MaxPool" : p is AvgPool2D ? "AveragePool" : throw Unsupported(layer, index), input);
                node.Attribute.Add(Ints("kernel_shape", p.KernelH, p.KernelW));
                node.Attribute.Add(Ints("strides", p.StrideH, p.StrideW));
                node.Attribute.Add(Ints("pads", Pads(p.Padding, shape, p.KernelH, p.KernelW, p.StrideH, p.StrideW)));
                if (p is AvgPool2D) node.Attribute.Add(Int("count_include_pad", 1));
                return [node];
            }
            case Linear l:
            {
                var node = Op("Gemm", input);
                node.Input.Add(Initializer(graph, layer, "weight"));
                if (l.HasBias) node.Input.Add(Initializer(graph, layer, "bias"));
                node.Attribute.Add(Int("transB", 1));
                return [node];
            }
            case BatchNorm b:
            {
                // Inference: y = γ·(x − running_mean) / √(running_var + ε) + β per channel, for [N, C] and [N, C, H, W] alike.
                var node = Op("BatchNormalization", input);
                node.Input.Add(Initializer(graph, layer, "weight"));
                node.Input.Add(Initializer(graph, layer, "bias"));
                node.Input.Add(BufferInitializer(graph, layer, b.RunningMean, "running_mean"));
                node.Input.Add(BufferInitializer(graph, layer, b.RunningVar, "running_var"));
                node.Attribute.Add(new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = (float)b.Eps });
                return [node];
            }
            case GlobalAvgPool2d:
            {
                // ONNX keeps [N, C, 1, 1]; Jimu's layer gives [N, C] features: a Flatten after it.
                var flatten = new NodeProto { OpType = "Flatten" };
                flatten.Attribute.Add(Int("axis", 1));
                return [Op("GlobalAveragePool", input), flatten];
            }
            case LeakyRelu lr:
            {
                var node = Op("LeakyRelu", input);
                node.Attribute.Add(new AttributeProto { Name = "alpha", Type = AttributeProto.Types.AttributeType.Float, F = (float)lr.NegativeSlope });
                return [node];
            }
            case Relu: return [Op("Relu", input)];
            case Sigmoid: return [Op("Sigmoid", input)];
            case Tanh: return [Op("Tanh", input)];
            case Flatten:
            {
                var node = Op("Flatten", input);
                node.Attribute.Add(Int("axis", 1));
                return [node];
            }
            case Dropout: return [];
            default: throw Unsupported(layer, index);
        }
    }

    private static ArchitectureException Unsupported(Layer layer, int index) =>
        new($"layer '{layer.Name}' ({layer.Describe()}) cannot be exported to ONNX: Jimu exports conv2d, maxpool2d, avgpool2d, linear, batchnorm2d, batchnorm1d, globalavgpool2d, relu, leakyrelu, sigmoid, tanh, flatten and dropout.", index, "type");

    /// <summary>ONNX pads [top, left, bottom, right] for an input of <paramref name="shape"/> [N, C, H, W].</summary>
    private static long[] Pads(Padding padding, int[] shape, int kh, int kw, int sh, int sw)
    {
        var (top, bottom) = padding.Resolve(shape[2], kh, sh, vertical: true);
        var (left, right) = padding.Resolve(shape[3], kw, sw, vertical: false);
        return [top, left, bottom, right];
    }

    private static string Initializer(GraphProto graph, Layer layer, string parameter) =>
        BufferInitializer(graph, layer, layer.Parameters.Single(q => q.Name == parameter).Value, parameter);

    private static string BufferInitializer(GraphProto graph, Layer layer, Tensor value, string local)
    {
        string name = $"{layer.Name}.{local}";
        graph.Initializer.Add(OnnxTensors.FromTensor(name, value));
        return name;
    }

    private static NodeProto Op(string type, string input) => new() { OpType = type, Input = { input } };

    private static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>A float32 tensor value with a symbolic batch dimension "N" in front of <paramref name="sample"/>.</summary>
    private static ValueInfoProto ValueInfo(string name, ReadOnlySpan<int> sample)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        foreach (int d in sample) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
