using System.Globalization;
using System.Text;
using Jimu.Data;
using Jimu.Layers;
using Jimu.Models;
using Jimu.Onnx.Proto;
using Jimu.Tensors;

namespace Jimu.Onnx;

/// <summary>
/// Turns an ONNX graph into Jimu layers by walking its nodes in order (the spec requires topological order) and
/// following one activation from the input to the output. Around the layers, the patterns that
/// <c>torch.onnx.export</c> writes are evaluated at import time: constants (Constant, initializers), the shape
/// arithmetic of <c>x.view(x.size(0), -1)</c> (Shape → Gather → Unsqueeze → Concat → Reshape, with the batch size
/// kept symbolic), Identity and inference-mode Dropout (no-ops), MatMul + Add (a Linear), and a zero Pad folded into
/// the Conv or AveragePool after it. Anything else, including every attribute whose value Jimu does not compute
/// exactly as ONNX defines it, is refused with a one-line <see cref="ModelFileException"/> naming the node: the import
/// either gives the same network or none.
/// </summary>
internal sealed class OnnxGraphReader
{
    public const string Supported =
        "Jimu imports Conv, MaxPool, AveragePool, GlobalAveragePool, BatchNormalization, Relu, LeakyRelu, Sigmoid, Tanh, Flatten, Gemm, "
        + "MatMul + Add, Sub and Div by per-channel constants on the input (normalisation), and around them Identity, Dropout, Constant, "
        + "Pad (zeros, before Conv or AveragePool) and the Shape/Gather/Unsqueeze/Concat/Reshape pattern of a flatten to [N, -1]";

    /// <summary>Largest image accepted (C·H·W values), and largest padding of one side: a small file must not make Jimu allocate gigabytes.</summary>
    public const long MaxSampleValues = 1 << 28;
    public const int MaxPadding = 1 << 16;

    /// <summary>One layer found in the graph: its spec (unnamed) and its tensors by local name ("weight", "bias").</summary>
    public sealed record FoundLayer(LayerSpec Spec, Dictionary<string, Tensor> Tensors);

    // What a name in the graph stands for.
    private abstract record Value;
    /// <summary>
    /// The activation after the layers found so far; <paramref name="Shape"/> without the batch, as ONNX sees it.
    /// <paramref name="Flat"/>: Jimu holds it as [N, C] where ONNX has [N, C, 1, 1] (after GlobalAveragePool).
    /// </summary>
    private sealed record Act(int Id, int[] Shape, bool Flat = false) : Value;
    private sealed record Const(OnnxConstant C) : Value;
    /// <summary>Integers known at import time except entries that equal the batch size (null); <paramref name="Scalar"/>: rank 0.</summary>
    private sealed record Sym(long?[] V, bool Scalar) : Value;

    private readonly string _source;
    private readonly long _opset;
    private readonly Dictionary<string, Value> _values = new(StringComparer.Ordinal);
    private readonly List<FoundLayer> _layers = [];
    private Act _tip;
    private int _nextId = 1;
    // Set while the tip is the output of a MatMul whose bias an Add may supply.
    private Act? _matMulOutput;
    // A zero Pad [top, bottom, left, right] waiting for the Conv or AveragePool that consumes it.
    private (Act Output, int[] Pads)? _pad;
    // Normalisation found at the front: (x − mean) then / std (or · 1/std); null until a Sub, Div or Mul there.
    private float[]? _mean, _std;
    private bool _normalized;

    private OnnxGraphReader(string source, long opset, string inputName, int[] inputShape)
    {
        _source = source;
        _opset = opset;
        _tip = new Act(0, inputShape);
        _values[inputName] = _tip;
    }

    /// <summary>
    /// Reads <paramref name="graph"/>: one float32 input [N, C, H, W] (<paramref name="bound"/> graph inputs are
    /// treated as constants), one output. Returns the input's [C, H, W] and the layers in order.
    /// </summary>
    public static (int[] Input, List<FoundLayer> Layers, Normalization? Normalization) Read(GraphProto graph, long opset, string source,
        IReadOnlyDictionary<string, TensorProto>? bound = null)
    {
        if (graph.SparseInitializer.Count > 0)
            throw new ModelFileException(source, $"{source}: the graph has sparse initializers, which Jimu does not read.");
        var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var t in graph.Initializer) initializers[t.Name] = t;
        if (bound is not null) foreach (var (k, t) in bound) initializers[k] = t;

        var inputs = graph.Input.Where(i => !initializers.ContainsKey(i.Name)).ToList();
        if (inputs.Count != 1)
            throw new ModelFileException(source, $"{source}: the graph has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => $"'{i.Name}'"))}); Jimu networks take one image batch [N, C, H, W].");
        var input = inputs[0];
        var inputShape = InputShape(input, source);

        var reader = new OnnxGraphReader(source, opset, input.Name, inputShape);
        foreach (var (name, t) in initializers)
            if (name != input.Name) reader._values[name] = new Const(OnnxTensors.Read(t, source, $"{source}: initializer '{name}'"));
        foreach (var node in graph.Node) reader.Visit(node);

        if (graph.Output.Count != 1)
            throw new ModelFileException(source, $"{source}: the graph has {graph.Output.Count} outputs; Jimu networks have one.");
        string output = graph.Output[0].Name;
        if (!reader._values.TryGetValue(output, out var v) || v is not Act a || a.Id != reader._tip.Id)
            throw new ModelFileException(source, $"{source}: the graph output '{output}' is not the result of the layer chain from input '{input.Name}'; Jimu imports sequential networks.");
        if (reader._pad is not null)
            throw new ModelFileException(source, $"{source}: a Pad node's output is the graph output; Jimu folds Pad only into a following Conv or AveragePool.");
        if (reader._layers.Count == 0)
            throw new ModelFileException(source, $"{source}: the graph computes nothing from its input; Jimu needs at least one layer.");
        Normalization? norm = null;
        if (reader._mean is not null || reader._std is not null)
        {
            int c = inputShape[0];
            norm = new Normalization(reader._mean ?? new float[c], reader._std ?? Enumerable.Repeat(1f, c).ToArray());
        }
        return (inputShape, reader._layers, norm);
    }

    private static int[] InputShape(ValueInfoProto input, string source)
    {
        var type = input.Type?.TensorType;
        if (type is null) throw new ModelFileException(source, $"{source}: input '{input.Name}' is not a tensor; Jimu networks take a float32 image batch [N, C, H, W].");
        if (type.ElemType != (int)TensorProto.Types.DataType.Float)
            throw new ModelFileException(source, $"{source}: input '{input.Name}' has element type {OnnxTensors.TypeName(type.ElemType)}; Jimu networks take float32 images.");
        var dims = type.Shape?.Dim;
        if (dims is null) throw new ModelFileException(source, $"{source}: input '{input.Name}' has no shape; Jimu needs [N, C, H, W] with C, H and W fixed.");
        string text = "[" + string.Join(", ", dims.Select(d => d.HasDimValue ? d.DimValue.ToString(CultureInfo.InvariantCulture) : d.DimParam is { Length: > 0 } p ? p : "?")) + "]";
        if (dims.Count != 4)
            throw new ModelFileException(source, $"{source}: input '{input.Name}' has shape {text}, which is {dims.Count}-D; Jimu networks take 4-D image batches [N, C, H, W].");
        var shape = new int[3];
        for (int i = 1; i < 4; i++)
        {
            if (!dims[i].HasDimValue || dims[i].DimValue < 1 || dims[i].DimValue > int.MaxValue)
                throw new ModelFileException(source, $"{source}: input '{input.Name}' has shape {text}; Jimu needs C, H and W fixed and positive (only the batch N may vary).");
            shape[i - 1] = (int)dims[i].DimValue;
        }
        if ((long)shape[0] * shape[1] * shape[2] > MaxSampleValues)
            throw new ModelFileException(source, $"{source}: input '{input.Name}' has shape {text}: more than {MaxSampleValues:N0} values per image, larger than Jimu takes.");
        return shape;
    }

    // ------------------------------------------------------------------ nodes

    private void Visit(NodeProto n)
    {
        if (n.Domain is { Length: > 0 } d && d != "ai.onnx")
            throw Refuse(n, $"operator domain '{d}' is not the standard one");
        switch (n.OpType)
        {
            case "Conv": Conv(n); break;
            case "MaxPool": Pool(n, max: true); break;
            case "AveragePool": Pool(n, max: false); break;
            case "Relu": Attributes(n); Elementwise(n, new LayerSpec.Relu()); break;
            case "Sigmoid": Attributes(n); Elementwise(n, new LayerSpec.Sigmoid()); break;
            case "Tanh": Attributes(n); Elementwise(n, new LayerSpec.Tanh()); break;
            case "LeakyRelu":
                Attributes(n, "alpha");
                Elementwise(n, new LayerSpec.LeakyRelu { NegativeSlope = Shortest(Float(n, "alpha", 0.01f)) });
                break;
            case "BatchNormalization": BatchNormalization(n); break;
            case "GlobalAveragePool": GlobalAveragePool(n); break;
            case "Sub": case "Div": case "Mul": Normalization(n); break;
            case "Flatten": FlattenNode(n); break;
            case "Gemm": Gemm(n); break;
            case "MatMul": MatMul(n); break;
            case "Add": Add(n); break;
            case "Identity": Attributes(n); Outputs(n, 1); Alias(n, Input(n, 0)); break;
            case "Dropout": DropoutNode(n); break;
            case "Constant": ConstantNode(n); break;
            case "Shape": ShapeNode(n); break;
            case "Gather": Gather(n); break;
            case "Unsqueeze": Unsqueeze(n); break;
            case "Concat": Concat(n); break;
            case "Reshape": Reshape(n); break;
            case "Pad": PadNode(n); break;
            default: throw Refuse(n, "this operator is not supported");
        }
    }

    private void Conv(NodeProto n)
    {
        Attributes(n, "auto_pad", "dilations", "group", "kernel_shape", "pads", "strides");
        Outputs(n, 1);
        var (x, pending) = ImageInput(n, allowPad: true);
        var w = FloatConst(n, 1, "weight");
        if (w.Rank != 4) throw Refuse(n, $"weight has shape {w.ShapeString}; Jimu convolves 2-D images (weight [out, in, kh, kw])");
        if (Int(n, "group", 1) != 1) throw Refuse(n, $"group={Int(n, "group", 1)}; Jimu has no grouped or depthwise convolution");
        if (w.Dims[1] != x.Shape[0]) throw Refuse(n, $"weight {w.ShapeString} does not take the {x.Shape[0]} input channels");
        int o = (int)w.Dims[0], kh = (int)w.Dims[2], kw = (int)w.Dims[3];
        if (Ints(n, "kernel_shape") is { } ks && !ks.SequenceEqual([kh, kw])) throw Refuse(n, $"kernel_shape [{string.Join(", ", ks)}] does not match weight {w.ShapeString}");
        RequireOnes(n, "dilations", "dilated convolution");
        var (sh, sw) = Strides(n);
        var pads = Pads(n, x.Shape, kh, kw, sh, sw, pending);
        OnnxConstant? b = n.Input.Count > 2 && n.Input[2].Length > 0 ? FloatConst(n, 2, "bias") : null;
        if (b is not null && !(b.Rank == 1 && b.Dims[0] == o)) throw Refuse(n, $"bias has shape {b.ShapeString}, expected [{o}]");
        int oh = OutSize(n, x.Shape[1], kh, sh, pads[0], pads[1]), ow = OutSize(n, x.Shape[2], kw, sw, pads[2], pads[3]);
        var tensors = new Dictionary<string, Tensor> { ["weight"] = w.ToTensor() };
        if (b is not null) tensors["bias"] = b.ToTensor();
        AddLayer(n, new LayerSpec.Conv2d
        {
            OutChannels = o, Kernel = [kh, kw], Stride = [sh, sw],
            Padding = Padding.Explicit(pads[0], pads[1], pads[2], pads[3]), Bias = b is not null,
        }, tensors, [o, oh, ow]);
    }

    private void Pool(NodeProto n, bool max)
    {
        if (max) Attributes(n, "auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides");
        else Attributes(n, "auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides");
        if (n.Output.Count > 1 && n.Output.Skip(1).Any(o => o.Length > 0)) throw Refuse(n, "the Indices output is not supported");
        Outputs(n, 1); // afl: a pooling node without outputs reached SetTip's n.Output[0]
        var (x, pending) = ImageInput(n, allowPad: !max);
        var k = Ints(n, "kernel_shape") ?? throw Refuse(n, "kernel_shape is missing");
        if (k.Length != 2) throw Refuse(n, $"kernel_shape [{string.Join(", ", k)}] is {k.Length}-D; Jimu pools 2-D images");
        if (Int(n, "ceil_mode", 0) != 0) throw Refuse(n, "ceil_mode=1; Jimu's pooling rounds the output size down (ceil_mode=0)");
        RequireOnes(n, "dilations", "dilated pooling");
        int kh = Checked(n, k[0], "kernel_shape"), kw = Checked(n, k[1], "kernel_shape");
        var (sh, sw) = Strides(n);
        var own = Pads(n, x.Shape, kh, kw, sh, sw, null);
        if (!max && own.Any(p => p != 0) && Int(n, "count_include_pad", 0) == 0)
            throw Refuse(n, "count_include_pad=0 with padding; Jimu's average pooling divides by the full window (count_include_pad=1)");
        var pads = pending is null ? own : own.Zip(pending, (a, b) => a + b).ToArray();
        int oh = OutSize(n, x.Shape[1], kh, sh, pads[0], pads[1]), ow = OutSize(n, x.Shape[2], kw, sw, pads[2], pads[3]);
        var padding = Padding.Explicit(pads[0], pads[1], pads[2], pads[3]);
        AddLayer(n, max
            ? new LayerSpec.MaxPool2d { Kernel = [kh, kw], Stride = [sh, sw], Padding = padding }
            : new LayerSpec.AvgPool2d { Kernel = [kh, kw], Stride = [sh, sw], Padding = padding }, [], [x.Shape[0], oh, ow]);
    }

    private void BatchNormalization(NodeProto n)
    {
        Attributes(n, "epsilon", "momentum", "training_mode", "spatial");
        if (Int(n, "training_mode", 0) != 0) throw Refuse(n, "training_mode=1; Jimu imports networks for inference (running statistics)");
        Outputs(n, 1);
        if (Int(n, "spatial", 1) != 1) throw Refuse(n, "spatial=0 (statistics per value, not per channel) is not supported");
        var x = Tip(n, 0);
        int c = x.Shape[0];
        var tensors = new Dictionary<string, Tensor>();
        string[] names = ["weight", "bias", "running_mean", "running_var"];
        for (int i = 0; i < 4; i++)
        {
            var t = FloatConst(n, i + 1, names[i]);
            if (t.Rank != 1 || t.Dims[0] != c) throw Refuse(n, $"{names[i]} has shape {t.ShapeString}, expected [{c}]");
            tensors[names[i]] = t.ToTensor();
        }
        if (tensors["running_var"].Span.ToArray().Any(v => !(v >= 0))) throw Refuse(n, "a running variance is negative or NaN");
        // [N, C, H, W] → batchnorm2d; features [N, C] (also after GlobalAveragePool, ONNX's [N, C, 1, 1]) → batchnorm1d.
        bool image = x.Shape.Length == 3 && !x.Flat;
        if (!image && !(x.Shape.Length == 1 || x.Flat)) throw Refuse(n, $"input has shape [N, {string.Join(", ", x.Shape)}]; Jimu normalises images [N, C, H, W] or features [N, C]");
        tensors["num_batches_tracked"] = new Tensor(new float[1]);
        AddLayer(n, image ? new LayerSpec.BatchNorm2d { Eps = Shortest(Float(n, "epsilon", 1e-5f)) } : new LayerSpec.BatchNorm1d { Eps = Shortest(Float(n, "epsilon", 1e-5f)) },
            tensors, x.Shape, x.Flat);
    }

    private void GlobalAveragePool(NodeProto n)
    {
        Attributes(n);
        Outputs(n, 1);
        var (x, _) = ImageInput(n, allowPad: false);
        AddLayer(n, new LayerSpec.GlobalAvgPool2d(), [], [x.Shape[0], 1, 1], flat: true);
    }

    /// <summary>Sub mean, then Div std (or Mul 1/std), per channel, on the graph input: the model's normalisation.</summary>
    private void Normalization(NodeProto n)
    {
        Attributes(n);
        Outputs(n, 1);
        if (n.Input.Count != 2 || Input(n, 0) is not Act || Input(n, 1) is not Const { C.Floats: not null } k)
            throw Refuse(n, $"Jimu reads {n.OpType} only as the input's normalisation: the image minus, divided or multiplied by per-channel constants, before any layer");
        var x = Tip(n, 0);
        bool divide = n.OpType != "Sub";
        if (_layers.Count > 0 || _normalized || divide && _std is not null || !divide && (_mean is not null || _std is not null))
            throw Refuse(n, $"{n.OpType} comes after the network's first layer or repeats; Jimu reads only (input − mean) / std at the front as normalisation");
        int c = x.Shape[0];
        var d = k.C.Dims;
        bool perChannel = d.Length is 3 or 4 && d[^3] == c && d[^2] == 1 && d[^1] == 1 && (d.Length == 3 || d[0] == 1);
        bool scalar = k.C.Count == 1 && d.All(v => v == 1);
        if (!perChannel && !scalar) throw Refuse(n, $"the constant has shape {k.C.ShapeString}; normalisation takes one value per channel ([1, {c}, 1, 1])");
        var v = scalar ? Enumerable.Repeat(k.C.Floats![0], c).ToArray() : (float[])k.C.Floats!.Clone();
        if (n.OpType == "Sub") _mean = v;
        else
        {
            _std = n.OpType == "Div" ? v : v.Select(f => 1 / f).ToArray();
            _normalized = true;
            if (_std.Any(f => !(f > 0) || !float.IsFinite(f))) throw Refuse(n, "a standard deviation is not positive and finite");
        }
        SetTip(n, x.Shape);
    }

    /// <summary>The shortest double that rounds to <paramref name="f"/>: ONNX's float 1e-5 reads as 1e-05, not 9.99999974737875E-06.</summary>
    private static double Shortest(float f) => double.Parse(f.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private void FlattenNode(NodeProto n)
    {
        Attributes(n, "axis");
        Outputs(n, 1);
        var x = Tip(n, 0);
        long axis = Int(n, "axis", 1);
        int rank = x.Shape.Length + 1;
        if (axis < 0) axis += rank;
        if (axis != 1)
            throw Refuse(n, $"axis={Int(n, "axis", 1)} on a {rank}-D tensor; Jimu flattens each sample (axis 1), keeping the batch");
        ToFlat(n, x);
    }

    /// <summary>[N, d1, …] → [N, d1·…]: a flatten layer, or nothing when the activation is flat already.</summary>
    private void ToFlat(NodeProto n, Act x)
    {
        if (x.Shape.Length == 1 || x.Flat) { SetTip(n, [checked((int)Features(x))]); return; }
        AddLayer(n, new LayerSpec.Flatten(), [], [checked((int)Features(x))]);
    }

    private void Gemm(NodeProto n)
    {
        Attributes(n, "alpha", "beta", "transA", "transB");
        Outputs(n, 1);
        var x = Tip(n, 0);
        if (x.Shape.Length != 1) throw Refuse(n, $"input A has shape [N, {string.Join(", ", x.Shape)}]; flatten it first");
        if (Int(n, "transA", 0) != 0) throw Refuse(n, "transA=1 would transpose the batch; Jimu's Linear takes A [N, in]");
        if (Float(n, "alpha", 1) != 1) throw Refuse(n, $"alpha={Float(n, "alpha", 1)}; Jimu's Linear computes A·Bᵀ + C (alpha = 1)");
        bool hasBias = n.Input.Count > 2 && n.Input[2].Length > 0;
        if (hasBias && Float(n, "beta", 1) != 1) throw Refuse(n, $"beta={Float(n, "beta", 1)}; Jimu's Linear adds the bias as it is (beta = 1)");
        var b = FloatConst(n, 1, "B");
        if (b.Rank != 2) throw Refuse(n, $"B has shape {b.ShapeString}, expected a matrix");
        var w = Int(n, "transB", 0) != 0 ? b.ToTensor() : Transpose(b);
        LinearLayer(n, x, w, hasBias ? FloatConst(n, 2, "C") : null);
    }

    private void MatMul(NodeProto n)
    {
        Attributes(n);
        Outputs(n, 1);
        var x = Tip(n, 0);
        if (x.Shape.Length != 1) throw Refuse(n, $"input has shape [N, {string.Join(", ", x.Shape)}]; flatten it first");
        var b = FloatConst(n, 1, "B");
        if (b.Rank != 2) throw Refuse(n, $"B has shape {b.ShapeString}; Jimu's Linear multiplies [N, in] by a matrix [in, out]");
        LinearLayer(n, x, Transpose(b), null);
        _matMulOutput = _tip;
    }

    /// <summary>x [N, in] times wᵀ (w [out, in]) plus the bias <paramref name="c"/>, broadcast over the batch.</summary>
    private void LinearLayer(NodeProto n, Act x, Tensor w, OnnxConstant? c)
    {
        int o = w.Dim(0);
        if (w.Dim(1) != x.Shape[0]) throw Refuse(n, $"the weight takes {w.Dim(1)} features but the input has {x.Shape[0]}");
        var tensors = new Dictionary<string, Tensor> { ["weight"] = w };
        if (c is not null) tensors["bias"] = BiasVector(n, c, o);
        AddLayer(n, new LayerSpec.Linear { OutFeatures = o, Bias = c is not null }, tensors, [o]);
    }

    /// <summary>A bias that broadcasts to [N, out] the same for every sample: [], [1], [out], [1, 1] or [1, out].</summary>
    private Tensor BiasVector(NodeProto n, OnnxConstant c, int o)
    {
        var d = c.Dims;
        bool scalar = c.Count == 1 && d.All(x => x == 1);
        bool vector = d.Length >= 1 && d[^1] == o && d.SkipLast(1).All(x => x == 1) && d.Length <= 2;
        if (!scalar && !vector) throw Refuse(n, $"bias has shape {c.ShapeString}; Jimu's Linear adds one bias per output feature, the same for every sample ([{o}])");
        var v = new float[o];
        if (scalar) Array.Fill(v, c.Floats![0]); else c.Floats!.CopyTo(v, 0);
        return new Tensor(v, o);
    }

    private void Add(NodeProto n)
    {
        Attributes(n);
        Outputs(n, 1);
        if (n.Input.Count != 2) throw Refuse(n, "expected two inputs");
        var a = Input(n, 0); var b = Input(n, 1);
        var (act, other) = a is Act ? (a as Act, b) : (b as Act, a);
        if (act is null || other is not Const { C.Floats: not null } c)
            throw Refuse(n, "Jimu folds Add only as the bias of the MatMul right before it");
        if (_matMulOutput is null || act.Id != _matMulOutput.Id || act.Id != _tip.Id)
            throw Refuse(n, "the Add does not follow a MatMul; Jimu folds Add only as the bias of the MatMul right before it");
        var layer = _layers[^1];
        var linear = (LayerSpec.Linear)layer.Spec; // _matMulOutput is set only by the MatMul that added it
        _layers[^1] = new FoundLayer(linear with { Bias = true }, new(layer.Tensors) { ["bias"] = BiasVector(n, c.C, linear.OutFeatures) });
        _matMulOutput = null;
        SetTip(n, act.Shape);
    }

    private void DropoutNode(NodeProto n)
    {
        Attributes(n, "ratio", "seed");
        if (n.Output.Count > 1 && n.Output[1].Length > 0) throw Refuse(n, "the mask output is not supported");
        if (n.Input.Count > 2 && n.Input[2].Length > 0)
        {
            if (Input(n, 2) is not Const { C.Count: 1 } t) throw Refuse(n, "training_mode is not a constant");
            if ((t.C.Ints?[0] ?? (long)t.C.Floats![0]) != 0) throw Refuse(n, "training_mode is true; Jimu imports networks for inference");
        }
        Alias(n, Input(n, 0));
    }

    private void ConstantNode(NodeProto n)
    {
        Attributes(n, "value", "value_float", "value_floats", "value_int", "value_ints");
        Outputs(n, 1);
        if (n.Attribute.Count != 1) throw Refuse(n, "expected exactly one value attribute");
        var a = n.Attribute[0];
        OnnxConstant c = a.Name switch
        {
            "value" => OnnxTensors.Read(a.T ?? throw Refuse(n, "value is not a tensor"), _source, $"{_source}: node '{n.Name}' (Constant)"),
            "value_float" => new OnnxConstant([], [a.F], null),
            "value_floats" => new OnnxConstant([a.Floats.Count], a.Floats.ToArray(), null),
            "value_int" => new OnnxConstant([], null, [a.I]),
            _ => new OnnxConstant([a.Ints.Count], null, a.Ints.ToArray()),
        };
        _values[n.Output[0]] = new Const(c);
    }

    private void ShapeNode(NodeProto n)
    {
        Attributes(n, "start", "end");
        Outputs(n, 1);
        long?[] full = Input(n, 0) switch
        {
            Act a => [null, .. a.Shape.Select(d => (long?)d)],
            Const c => c.C.Dims.Select(d => (long?)d).ToArray(),
            _ => throw Refuse(n, "the input is not a tensor"),
        };
        int r = full.Length;
        long start = Int(n, "start", 0), end = Int(n, "end", r);
        start = Math.Clamp(start < 0 ? start + r : start, 0, r);
        end = Math.Clamp(end < 0 ? end + r : end, 0, r);
        _values[n.Output[0]] = new Sym(full[(int)start..(int)Math.Max(start, end)], false);
    }

    private void Gather(NodeProto n)
    {
        Attributes(n, "axis");
        Outputs(n, 1);
        var data = Symbolic(n, 0);
        if (data.Scalar || Int(n, "axis", 0) is not (0 or -1)) throw Refuse(n, "Jimu evaluates Gather only on a 1-D integer vector at import time");
        if (Input(n, 1) is not Const { C.Ints: { } idx } ic || ic.C.Rank > 1) throw Refuse(n, "the indices are not a constant scalar or vector");
        var picked = idx.Select(i =>
        {
            long j = i < 0 ? i + data.V.Length : i;
            return j >= 0 && j < data.V.Length ? data.V[j] : throw Refuse(n, $"index {i} is out of range for {data.V.Length} values");
        }).ToArray();
        _values[n.Output[0]] = new Sym(picked, ic.C.Rank == 0);
    }

    private void Unsqueeze(NodeProto n)
    {
        Attributes(n, "axes");
        Outputs(n, 1);
        var axes = _opset < 13 ? Ints(n, "axes") : n.Input.Count > 1 && Input(n, 1) is Const { C.Ints: { } ax } ? ax : null;
        if (axes is null) throw Refuse(n, "axes are not constant");
        var input = Input(n, 0);
        if (input is Const { C: var c })
        {
            var dims = c.Dims.ToList();
            foreach (long a in axes.Select(a => a < 0 ? a + c.Rank + axes.Length : a).Order())
            {
                if (a < 0 || a > dims.Count) throw Refuse(n, $"axis {a} is out of range");
                dims.Insert((int)a, 1);
            }
            _values[n.Output[0]] = new Const(c with { Dims = [.. dims] });
            return;
        }
        var s = Symbolic(n, 0);
        if (!s.Scalar || axes is not ([0] or [-1])) throw Refuse(n, "Jimu evaluates Unsqueeze only of a scalar to a 1-D vector at import time");
        _values[n.Output[0]] = s with { Scalar = false };
    }

    private void Concat(NodeProto n)
    {
        Attributes(n, "axis");
        Outputs(n, 1);
        if (Int(n, "axis", 0) is not (0 or -1)) throw Refuse(n, "Jimu evaluates Concat only of 1-D integer vectors at import time");
        var parts = Enumerable.Range(0, n.Input.Count).Select(i => Symbolic(n, i)).ToList();
        if (parts.Any(p => p.Scalar)) throw Refuse(n, "an input is a scalar");
        _values[n.Output[0]] = new Sym(parts.SelectMany(p => p.V).ToArray(), false);
    }

    private void Reshape(NodeProto n)
    {
        Attributes(n, "allowzero");
        Outputs(n, 1);
        if (Int(n, "allowzero", 0) != 0) throw Refuse(n, "allowzero=1 is not supported");
        var target = Symbolic(n, 1);
        if (target.Scalar) throw Refuse(n, "the shape is a scalar");
        var input = Input(n, 0);
        if (input is Const { C: var c })
        {
            _values[n.Output[0]] = new Const(c with { Dims = ConstantShape(n, target, c) });
            return;
        }
        var x = Tip(n, 0);
        long features = Features(x);
        // [N, F] in any of the spellings torch writes: (N, -1), (N, F), (-1, F), (0, -1), (0, F).
        bool flatten = target.V.Length == 2
            && (target.V[0] is null || target.V[0] == 0 || target.V[0] == -1 && target.V[1] == features)
            && (target.V[1] == -1 && target.V[0] != -1 || target.V[1] == features);
        if (!flatten)
            throw Refuse(n, $"reshape of [N, {string.Join(", ", x.Shape)}] to [{string.Join(", ", target.V.Select(v => v?.ToString(CultureInfo.InvariantCulture) ?? "N"))}]; Jimu reshapes only to [N, -1] (a flatten that keeps the batch)");
        ToFlat(n, x);
    }

    private long[] ConstantShape(NodeProto n, Sym target, OnnxConstant c)
    {
        if (target.V.Any(v => v is null)) throw Refuse(n, "a constant reshaped by the batch size");
        var dims = target.V.Select(v => v!.Value).ToArray();
        for (int i = 0; i < dims.Length; i++) if (dims[i] == 0) dims[i] = i < c.Rank ? c.Dims[i] : throw Refuse(n, "0 beyond the input's rank");
        long known = dims.Where(d => d != -1).Aggregate(1L, (p, d) => d < 0 ? throw Refuse(n, $"dimension {d}") : p * d);
        int infer = Array.IndexOf(dims, -1L);
        if (infer >= 0 && (dims.Count(d => d == -1) > 1 || known == 0 || c.Count % known != 0)) throw Refuse(n, "the shape cannot be inferred");
        if (infer >= 0) dims[infer] = c.Count / known;
        if (dims.Aggregate(1L, (p, d) => p * d) != c.Count) throw Refuse(n, $"{c.Count} values do not fill [{string.Join(", ", dims)}]");
        return dims;
    }

    private void PadNode(NodeProto n)
    {
        Attributes(n, "mode", "pads", "value");
        Outputs(n, 1);
        if (Str(n, "mode", "constant") != "constant") throw Refuse(n, $"mode '{Str(n, "mode", "constant")}'; Jimu pads with zeros only");
        long[] pads;
        float value;
        if (_opset < 11)
        {
            pads = Ints(n, "pads") ?? throw Refuse(n, "pads are missing");
            value = Float(n, "value", 0);
        }
        else
        {
            pads = Input(n, 1) is Const { C.Ints: { } p } ? p : throw Refuse(n, "pads are not constant");
            value = n.Input.Count > 2 && n.Input[2].Length > 0
                ? Input(n, 2) is Const { C.Floats: [var f] } ? f : throw Refuse(n, "constant_value is not a constant float")
                : 0;
            if (n.Input.Count > 3 && n.Input[3].Length > 0) throw Refuse(n, "the axes input is not supported");
        }
        var x = Tip(n, 0);
        if (x.Shape.Length != 3 || pads.Length != 8) throw Refuse(n, "Jimu folds Pad only on [N, C, H, W] images");
        if (pads.All(p => p == 0)) { Alias(n, x); return; }
        if (value != 0) throw Refuse(n, $"padding value {value}; Jimu pads with zeros only");
        if (pads.Any(p => p < 0 || p > MaxPadding) || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0)
            throw Refuse(n, $"pads [{string.Join(", ", pads)}]; Jimu folds only non-negative padding of H and W");
        if (_pad is not null) throw Refuse(n, "two Pad nodes in a row");
        var output = new Act(_nextId++, [x.Shape[0], (int)(x.Shape[1] + pads[2] + pads[6]), (int)(x.Shape[2] + pads[3] + pads[7])]);
        // ONNX pads [x1_begin, x2_begin, …, x1_end, …]: H begin/end = pads[2]/pads[6], W = pads[3]/pads[7].
        _pad = (output, [(int)pads[2], (int)pads[6], (int)pads[3], (int)pads[7]]);
        _values[n.Output[0]] = output;
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>The image [C, H, W] a spatial layer consumes, and the zero Pad in front of it when there is one.</summary>
    private (Act X, int[]? Pad) ImageInput(NodeProto n, bool allowPad)
    {
        if (_pad is { } p && Input(n, 0) is Act a && a.Id == p.Output.Id)
        {
            if (!allowPad) throw Refuse(n, "a zero Pad before it would let the zeros win the max; Jimu's pooling pads never win");
            _pad = null;
            return (_tip, p.Pads);
        }
        var x = Tip(n, 0);
        if (x.Flat) throw Refuse(n, $"it follows a GlobalAveragePool, whose output Jimu keeps as features [N, C]; Jimu's {n.OpType} takes images");
        if (x.Shape.Length != 3) throw Refuse(n, $"input has shape [N, {string.Join(", ", x.Shape)}]; Jimu's {n.OpType} takes images [N, C, H, W]");
        return (x, null);
    }

    /// <summary>The current activation, required to be input <paramref name="i"/> of <paramref name="n"/>.</summary>
    private Act Tip(NodeProto n, int i)
    {
        var v = Input(n, i);
        if (v is not Act a) throw Refuse(n, $"input '{n.Input[i]}' is a constant, not the network's activation");
        if (_pad is not null) throw Refuse(n, "it follows a Pad; Jimu folds Pad only into a following Conv or AveragePool");
        if (a.Id != _tip.Id) throw Refuse(n, $"input '{n.Input[i]}' is an earlier activation: the graph branches, and Jimu imports sequential networks");
        return a;
    }

    private Value Input(NodeProto n, int i)
    {
        if (i >= n.Input.Count || n.Input[i].Length == 0) throw Refuse(n, $"input {i + 1} is missing");
        return _values.TryGetValue(n.Input[i], out var v) ? v
            : throw Refuse(n, $"input '{n.Input[i]}' is not produced by any earlier node, initializer or graph input");
    }

    private OnnxConstant FloatConst(NodeProto n, int i, string what) =>
        Input(n, i) is Const { C.Floats: not null } c ? c.C
            : throw Refuse(n, $"{what} ('{n.Input[i]}') is not a constant float32 tensor; Jimu needs the weights in the file");

    private Sym Symbolic(NodeProto n, int i) => Input(n, i) switch
    {
        Sym s => s,
        Const { C.Ints: { } v } c when c.C.Rank <= 1 => new Sym(v.Select(x => (long?)x).ToArray(), c.C.Rank == 0),
        _ => throw Refuse(n, $"input '{n.Input[i]}' is not an integer vector known at import time"),
    };

    private void AddLayer(NodeProto n, LayerSpec spec, Dictionary<string, Tensor> tensors, int[] shape, bool flat = false)
    {
        _layers.Add(new FoundLayer(spec, tensors));
        _normalized = true;
        SetTip(n, shape, flat);
    }

    private void Elementwise(NodeProto n, LayerSpec spec)
    {
        Outputs(n, 1);
        var x = Tip(n, 0);
        AddLayer(n, spec, [], x.Shape, x.Flat);
    }

    private void SetTip(NodeProto n, int[] shape, bool flat = false)
    {
        if (n.Output.Count < 1 || n.Output[0].Length == 0) throw Refuse(n, "it has no output");
        _tip = new Act(_nextId++, shape, flat);
        _matMulOutput = null;
        _values[n.Output[0]] = _tip;
    }

    private void Alias(NodeProto n, Value v)
    {
        if (v is Act) Tip(n, 0);
        _values[n.Output[0]] = v;
    }

    private static long Features(Act x) => x.Shape.Aggregate(1L, (p, d) => p * d);

    private static Tensor Transpose(OnnxConstant b)
    {
        int rows = (int)b.Dims[0], cols = (int)b.Dims[1];
        var t = new float[b.Floats!.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = b.Floats[r * cols + c];
        return new Tensor(t, cols, rows);
    }

    private (int, int) Strides(NodeProto n)
    {
        var s = Ints(n, "strides") ?? [1, 1];
        if (s.Length != 2) throw Refuse(n, $"strides [{string.Join(", ", s)}] are not 2-D");
        return (Checked(n, s[0], "strides"), Checked(n, s[1], "strides"));
    }

    /// <summary>Padding [top, bottom, left, right] from auto_pad or pads (ONNX order [top, left, bottom, right]), plus a folded Pad.</summary>
    private int[] Pads(NodeProto n, int[] x, int kh, int kw, int sh, int sw, int[]? pending)
    {
        string autoPad = Str(n, "auto_pad", "NOTSET");
        int[] p;
        switch (autoPad)
        {
            case "NOTSET":
                var pads = Ints(n, "pads") ?? [0, 0, 0, 0];
                if (pads.Length != 4) throw Refuse(n, $"pads [{string.Join(", ", pads)}] are not those of a 2-D image");
                if (pads.Any(v => v < 0 || v > MaxPadding)) throw Refuse(n, $"pads [{string.Join(", ", pads)}] must be non-negative and at most {MaxPadding}");
                p = [(int)pads[0], (int)pads[2], (int)pads[1], (int)pads[3]];
                break;
            case "VALID": p = [0, 0, 0, 0]; break;
            case "SAME_UPPER" or "SAME_LOWER":
                var (t, b) = Same(x[1], kh, sh, autoPad == "SAME_UPPER");
                var (l, r) = Same(x[2], kw, sw, autoPad == "SAME_UPPER");
                p = [t, b, l, r];
                break;
            default: throw Refuse(n, $"auto_pad '{autoPad}' is not an ONNX value");
        }
        if (pending is not null) for (int i = 0; i < 4; i++) p[i] += pending[i];
        return p;
    }

    /// <summary>ONNX's SAME_UPPER / SAME_LOWER: out = ceil(in / s), total = max((out − 1)·s + k − in, 0), the odd one at the end / start.</summary>
    private static (int Before, int After) Same(int input, int k, int s, bool upper)
    {
        int output = (input + s - 1) / s;
        int total = Math.Max((output - 1) * s + k - input, 0);
        return upper ? (total / 2, total - total / 2) : (total - total / 2, total / 2);
    }

    private int OutSize(NodeProto n, int input, int k, int s, int before, int after)
    {
        long span = (long)input + before + after - k;
        if (span < 0) throw Refuse(n, $"the window {k} is larger than the padded input {input + before + after}");
        return (int)(span / s + 1);
    }

    private void RequireOnes(NodeProto n, string attribute, string what)
    {
        if (Ints(n, attribute) is { } d && d.Any(v => v != 1))
            throw Refuse(n, $"{attribute} [{string.Join(", ", d)}]: Jimu has no {what}");
    }

    private int Checked(NodeProto n, long v, string what) =>
        v >= 1 && v <= 1 << 16 ? (int)v : throw Refuse(n, $"{what} value {v} is out of range");

    private void Outputs(NodeProto n, int count)
    {
        if (n.Output.Count < 1 || n.Output[0].Length == 0) throw Refuse(n, "it has no output");
        if (n.Output.Count > count && n.Output.Skip(count).Any(o => o.Length > 0)) throw Refuse(n, $"it has {n.Output.Count} outputs; Jimu supports {count}");
    }

    /// <summary>Refuses attributes outside <paramref name="known"/>: one Jimu does not read could change the result.</summary>
    private void Attributes(NodeProto n, params string[] known)
    {
        foreach (var a in n.Attribute)
        {
            if (!known.Contains(a.Name)) throw Refuse(n, $"attribute '{a.Name}' is not supported");
            if (a.HasRefAttrName) throw Refuse(n, $"attribute '{a.Name}' refers to a function attribute");
        }
    }

    private AttributeProto? Attribute(NodeProto n, string name, AttributeProto.Types.AttributeType type)
    {
        var a = n.Attribute.FirstOrDefault(x => x.Name == name);
        if (a is null) return null;
        if (a.HasType && a.Type != type) throw Refuse(n, $"attribute '{name}' has type {a.Type}, expected {type}");
        return a;
    }

    private long Int(NodeProto n, string name, long fallback) =>
        Attribute(n, name, AttributeProto.Types.AttributeType.Int) is { } a ? a.I : fallback;

    private float Float(NodeProto n, string name, float fallback) =>
        Attribute(n, name, AttributeProto.Types.AttributeType.Float) is { } a ? a.F : fallback;

    private long[]? Ints(NodeProto n, string name) =>
        Attribute(n, name, AttributeProto.Types.AttributeType.Ints)?.Ints.ToArray();

    private string Str(NodeProto n, string name, string fallback) =>
        Attribute(n, name, AttributeProto.Types.AttributeType.String) is { } a ? Encoding.UTF8.GetString(a.S.Span) : fallback;

    private ModelFileException Refuse(NodeProto n, string why) =>
        new(_source, $"{_source}: node '{(n.Name.Length > 0 ? n.Name : n.Output.FirstOrDefault() ?? "?")}' ({n.OpType}): {why}. {Supported}.");
}
