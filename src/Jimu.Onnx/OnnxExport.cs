using System.Reflection;
using Google.Protobuf;
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
/// </code>
/// A layer with no ONNX counterpart is a <see cref="JimuException"/> naming it.
/// </summary>
public static class OnnxExport
{
    public const int Opset = 17;
    public const int IrVersion = 8;
    public const string InputName = "input";
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
        int[] shape = [1, .. network.InputShape];
        foreach (var layer in network.Layers)
        {
            int[] outShape = layer.OutputShape(shape);
            var node = Node(layer, current, shape, graph);
            if (node is not null)
            {
                node.Name = layer.Name;
                node.Output.Add(layer.Name);
                graph.Node.Add(node);
                current = layer.Name;
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
        proto.MetadataProps.Add(new StringStringEntryProto { Key = ArchitectureKey, Value = model.Architecture.ToJson() });
        return proto;
    }

    /// <summary>The node computing <paramref name="layer"/> from <paramref name="input"/> (shape with batch 1), its weights added to the graph; null for layers that vanish at inference.</summary>
    private static NodeProto? Node(Layer layer, string input, int[] shape, GraphProto graph)
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
                return node;
            }
            case Pool2D p:
            {
                var node = Op(p is MaxPool2D ? "MaxPool" : p is AvgPool2D ? "AveragePool" : throw Unsupported(layer), input);
                node.Attribute.Add(Ints("kernel_shape", p.KernelH, p.KernelW));
                node.Attribute.Add(Ints("strides", p.StrideH, p.StrideW));
                node.Attribute.Add(Ints("pads", Pads(p.Padding, shape, p.KernelH, p.KernelW, p.StrideH, p.StrideW)));
                if (p is AvgPool2D) node.Attribute.Add(Int("count_include_pad", 1));
                return node;
            }
            case Linear l:
            {
                var node = Op("Gemm", input);
                node.Input.Add(Initializer(graph, layer, "weight"));
                if (l.HasBias) node.Input.Add(Initializer(graph, layer, "bias"));
                node.Attribute.Add(Int("transB", 1));
                return node;
            }
            case Relu: return Op("Relu", input);
            case Flatten:
            {
                var node = Op("Flatten", input);
                node.Attribute.Add(Int("axis", 1));
                return node;
            }
            case Dropout: return null;
            default: throw Unsupported(layer);
        }
    }

    private static JimuException Unsupported(Layer layer) =>
        new($"layer '{layer.Name}' ({layer.Describe()}) cannot be exported to ONNX: Jimu exports conv2d, maxpool2d, avgpool2d, linear, relu, flatten and dropout.");

    /// <summary>ONNX pads [top, left, bottom, right] for an input of <paramref name="shape"/> [N, C, H, W].</summary>
    private static long[] Pads(Padding padding, int[] shape, int kh, int kw, int sh, int sw)
    {
        var (top, bottom) = padding.Resolve(shape[2], kh, sh, vertical: true);
        var (left, right) = padding.Resolve(shape[3], kw, sw, vertical: false);
        return [top, left, bottom, right];
    }

    private static string Initializer(GraphProto graph, Layer layer, string parameter)
    {
        var p = layer.Parameters.Single(q => q.Name == parameter);
        string name = $"{layer.Name}.{parameter}";
        graph.Initializer.Add(OnnxTensors.FromTensor(name, p.Value));
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
