using System.Text.Json;
using Google.Protobuf;
using Jimu.IO;
using Jimu.Layers;
using Jimu.Models;
using Jimu.Onnx.Proto;
using Jimu.Tensors;

namespace Jimu.Onnx;

/// <summary>
/// Reads an ONNX model into a Jimu <see cref="Model"/> with the same weights (see <see cref="OnnxGraphReader"/> for
/// what is read and what is refused). When the file's <c>metadata_props</c> hold a Jimu architecture that describes
/// exactly the network found in the graph (a model exported by Jimu), that architecture is kept (names, "same"
/// padding, dropout, algorithms); otherwise the layers get Jimu's default names (conv1, fc1, …). The graph always
/// decides the network: metadata that disagrees with it is not used.
/// </summary>
public static class OnnxImport
{
    /// <summary>Protobuf messages cannot exceed 2 GiB; a larger file is not a single-file ONNX model.</summary>
    public const long MaxFileBytes = int.MaxValue;

    /// <summary>Whether <paramref name="path"/> names an ONNX file (by its extension).</summary>
    public static bool IsOnnxPath(string path) => path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);

    extension(Model)
    {
        /// <summary>Imports the ONNX model at <paramref name="path"/>.</summary>
        public static Model LoadOnnx(string path)
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new ModelFileException(path, $"Model file '{path}' does not exist.");
            if (info.Length > MaxFileBytes)
                throw new ModelFileException(path, $"{path}: {info.Length:N0} bytes is larger than any single-file ONNX model (2 GiB); models with external data are not supported.");
            return Import(File.ReadAllBytes(path), path);
        }

        /// <summary>Imports an ONNX model from its bytes; <paramref name="source"/> names it in errors.</summary>
        public static Model FromOnnx(byte[] bytes, string source = "ONNX model") => Import(bytes, source);
    }

    extension(Model model)
    {
        /// <summary>
        /// Copies the weights of the ONNX model at <paramref name="path"/> into this model, whose layers must compute
        /// what the graph's do (same order, sizes and padding; names may differ).
        /// </summary>
        public void LoadWeightsFromOnnx(string path)
        {
            var source = Model.LoadOnnx(path);
            var have = Signatures(source.Network);
            var want = Signatures(model.Network);
            int i = 0;
            while (i < have.Count && i < want.Count && have[i] == want[i]) i++;
            if (i < have.Count || i < want.Count)
                throw new ArchitectureMismatchException(path, $"{path}: weights do not fit the architecture '{model.Architecture.Name}': its layer {i + 1} is {(i < want.Count ? want[i] : "missing")} but the ONNX graph has {(i < have.Count ? have[i] : "nothing")}.");
            for (int p = 0; p < model.Network.Parameters.Count; p++)
            {
                var into = model.Network.Parameters[p].Parameter;
                into.Value.CopyFrom(source.Network.Parameters[p].Parameter.Value);
                into.MarkChanged();
            }
        }
    }

    /// <summary>Every error of a file that cannot be imported names the file: a <see cref="ModelFileException"/> (or a kind of it).</summary>
    internal static Model Import(byte[] bytes, string source)
    {
        try { return Import(Parse(bytes, source), source); }
        catch (JimuException e) when (e is not ModelFileException) { throw new ModelFileException(source, e.Message, e); }
    }

    internal static ModelProto Parse(byte[] bytes, string source)
    {
        ModelProto proto;
        try { proto = ModelProto.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e)
        {
            throw new ModelFileException(source, $"{source}: not a readable ONNX model ({e.Message.TrimEnd('.')}); the file is truncated, corrupt or not ONNX.");
        }
        if (proto.Graph is null || proto.Graph.Node.Count == 0 && proto.Graph.Input.Count == 0)
            throw new ModelFileException(source, $"{source}: not an ONNX model (no graph); the file is corrupt or not ONNX.");
        return proto;
    }

    /// <summary>Imports <paramref name="proto"/>; <paramref name="bound"/> graph inputs are read as constants (the backend node tests feed weights as inputs).</summary>
    internal static Model Import(ModelProto proto, string source, IReadOnlyDictionary<string, TensorProto>? bound = null)
    {
        long opset = Opset(proto, source);
        var (input, found, normalization) = OnnxGraphReader.Read(proto.Graph, opset, source, bound);
        string name = proto.Graph.Name is { Length: > 0 } g ? g : Path.GetFileNameWithoutExtension(source);
        var derived = new Architecture { Name = name, Input = input, Layers = found.Select(f => f.Spec).ToArray() };
        Sequential network;
        try { network = derived.Build(); }
        catch (JimuException e) { throw new ModelFileException(source, $"{source}: the graph does not make a Jimu network: {e.Message}", e); }
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < found.Count; i++)
            foreach (var (local, t) in found[i].Tensors) weights[$"{network.Layers[i].Name}.{local}"] = t;

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in proto.MetadataProps) metadata[p.Key] = p.Value;
        Model model;
        if (StoredArchitecture(metadata) is { } stored && Matches(stored, network, out var storedNetwork))
        {
            // Same layers in the same order: the stored names take the graph's tensors position by position.
            var renamed = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            var named = network.Parameters.Select(p => p.Name).Concat(network.Buffers.Select(b => b.Name)).ToList();
            var storedNames = storedNetwork.Parameters.Select(p => p.Name).Concat(storedNetwork.Buffers.Select(b => b.Name)).ToList();
            for (int i = 0; i < named.Count; i++) renamed[storedNames[i]] = weights[named[i]];
            model = Model.FromWeights(stored, renamed, source, Int64Buffers(metadata, storedNetwork));
        }
        else model = Model.FromWeights(derived, weights, source);

        var data = ModelFile.ReadDataMetadata(metadata, source);
        if (data.Classes is { } classes && classes.Count != model.Network.OutputShape[^1])
            throw new ModelFileException(source, $"{source}: the metadata names {classes.Count} classes but the network has {model.Network.OutputShape[^1]} outputs; the file is damaged or its '{ModelFile.ClassesKey}' entry belongs to another model.");
        model.Classes = data.Classes;
        model.TrainedOn = data.TrainedOn;
        // The graph's Sub/Div decide; the metadata's copy is the same numbers for a model Jimu exported.
        model.Normalization = normalization;
        return model;
    }

    /// <summary>BatchNorm's num_batches_tracked, which no ONNX node uses, from metadata_props (absent: 0).</summary>
    private static Dictionary<string, Int64Tensor>? Int64Buffers(Dictionary<string, string> metadata, Sequential network)
    {
        if (!metadata.TryGetValue(OnnxExport.Int64BuffersKey, out var json)) return null;
        Dictionary<string, long>? counts;
        try { counts = JsonSerializer.Deserialize(json, OnnxJsonContext.Default.DictionaryStringInt64); }
        catch (JsonException) { return null; }
        if (counts is null) return null;
        var result = new Dictionary<string, Int64Tensor>(StringComparer.Ordinal);
        foreach (var (name, b) in network.Buffers)
            if (b.Int64 is { Length: 1 } && counts.TryGetValue(name, out long v)) result[name] = new Int64Tensor(b.Shape, [v]);
        return result;
    }

    private static long Opset(ModelProto proto, string source)
    {
        long? opset = null;
        foreach (var o in proto.OpsetImport)
        {
            if (o.Domain is "" or "ai.onnx") opset = o.Version;
        }
        if (opset is null) throw new ModelFileException(source, $"{source}: the model imports no standard ONNX opset; the file is corrupt or not ONNX.");
        if (opset > OnnxExport.Opset)
            throw new ModelFileException(source, $"{source}: opset {opset} is newer than Jimu reads (up to {OnnxExport.Opset}); export with opset_version={OnnxExport.Opset} or lower.");
        return opset.Value;
    }

    private static Architecture? StoredArchitecture(Dictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(OnnxExport.ArchitectureKey, out var json)) return null;
        try { return Architecture.FromJson(json); }
        catch (JimuException) { return null; }
    }

    /// <summary>Whether <paramref name="stored"/> builds exactly <paramref name="network"/>, ignoring dropout (absent from ONNX).</summary>
    private static bool Matches(Architecture stored, Sequential network, out Sequential storedNetwork)
    {
        storedNetwork = null!;
        try { storedNetwork = stored.Build(); }
        catch (JimuException) { return false; }
        if (!storedNetwork.InputShape.SequenceEqual(network.InputShape)) return false;
        var a = Signatures(storedNetwork);
        var b = Signatures(network);
        return a.SequenceEqual(b) && storedNetwork.Parameters.Count == network.Parameters.Count
            && storedNetwork.Buffers.Count == network.Buffers.Count;
    }

    /// <summary>What each layer computes (padding resolved for its input size), dropout left out.</summary>
    internal static List<string> Signatures(Sequential network)
    {
        var result = new List<string>();
        int[] shape = [1, .. network.InputShape];
        foreach (var layer in network.Layers)
        {
            var next = layer.OutputShape(shape);
            string s = layer switch
            {
                Dropout => "",
                Conv2D c => $"conv {c.InChannels}>{c.OutChannels} k{c.KernelH}x{c.KernelW} s{c.StrideH},{c.StrideW} p{Resolved(c.Padding, shape, c.KernelH, c.KernelW, c.StrideH, c.StrideW)} b{c.HasBias}",
                Pool2D p => $"{p.GetType().Name} k{p.KernelH}x{p.KernelW} s{p.StrideH},{p.StrideW} p{Resolved(p.Padding, shape, p.KernelH, p.KernelW, p.StrideH, p.StrideW)}",
                // ONNX stores ε and the slope as float32: equal when equal as floats; momentum is training-only.
                BatchNorm bn => $"{bn.GetType().Name} {bn.Channels} eps{(float)bn.Eps:R}",
                LeakyRelu lr => $"LeakyRelu {(float)lr.NegativeSlope:R}",
                _ => $"{layer.GetType().Name} {layer.Describe()} {string.Join(",", layer.Parameters.Select(q => q.Value.ShapeString))}",
            };
            if (s.Length > 0) result.Add(s + $" -> {Tensor.Format(next)}");
            shape = next;
        }
        return result;
    }

    private static string Resolved(Padding padding, int[] shape, int kh, int kw, int sh, int sw)
    {
        var (t, b) = padding.Resolve(shape[2], kh, sh, vertical: true);
        var (l, r) = padding.Resolve(shape[3], kw, sw, vertical: false);
        return $"{t},{b},{l},{r}";
    }
}
