using System.Globalization;
using System.Text.Json;
using Jimu.Data;
using Jimu.Layers;
using Jimu.Models;
using Jimu.Tensors;
using Jimu.Training;

namespace Jimu.IO;

/// <summary>
/// A model in one .safetensors file: parameters and buffers under their PyTorch-style names ("conv1.weight",
/// "bn1.running_mean"; "bn1.num_batches_tracked" as I64), the architecture as JSON in the header's
/// __metadata__["jimu.architecture"], and optionally the optimizer's state (tensors "optimizer.{param}.{buffer}",
/// settings in __metadata__["jimu.optimizer"]) and the training state (options and position,
/// __metadata__["jimu.training"]) for --resume: then the file is a checkpoint from which training continues
/// exactly. What the model was trained on goes in three more
/// metadata entries, each JSON and each optional (absent = unknown, as in files written before them):
/// <code>
/// jimu.classes        ["T-shirt/top", "Trouser", …]          class names, index = class
/// jimu.normalization  {"mean": [0.286], "std": [0.353]}       applied to [0, 1] pixels before the network
/// jimu.data           {"format": "idx", "source": …, "input": [1, 28, 28], "class_count": 10, "label_set": "sha256:…", …}
/// </code>
/// (see <see cref="DataDescription"/>). A plain PyTorch state_dict saved with safetensors loads too, given the architecture.
/// </summary>
public static class ModelFile
{
    /// <summary>Metadata key of the architecture JSON.</summary>
    public const string ArchitectureKey = "jimu.architecture";
    /// <summary>Metadata key of the optimizer settings and progress.</summary>
    public const string OptimizerKey = "jimu.optimizer";
    /// <summary>Metadata key of the training state (options and position) of a checkpoint.</summary>
    public const string TrainingKey = "jimu.training";
    /// <summary>Metadata key of the class names.</summary>
    public const string ClassesKey = "jimu.classes";
    /// <summary>Metadata key of the input normalisation.</summary>
    public const string NormalizationKey = "jimu.normalization";
    /// <summary>Metadata key of what the model was trained on.</summary>
    public const string DataKey = "jimu.data";
    /// <summary>Metadata key "format" ("pt", as PyTorch's safetensors files).</summary>
    public const string FormatKey = "format";
    /// <summary>Prefix of the optimizer's state tensors ("optimizer.conv1.weight.momentum").</summary>
    public const string OptimizerPrefix = "optimizer.";

    /// <summary>What a model file holds.</summary>
    public sealed record Contents(Architecture Architecture, Sequential Network, OptimizerState? Optimizer, DataMetadata Data)
    {
        /// <summary>The training options and position of a checkpoint; null in files without them.</summary>
        public TrainingState? Training { get; init; }
    }

    /// <summary>The run's options and where it is: what a checkpoint needs besides weights, buffers and optimizer.</summary>
    public sealed record TrainingState(TrainingOptions Options, TrainingPosition Position);

    /// <summary>What the model knows of its data: class names, input normalisation, what it was trained on (each null when unknown).</summary>
    public sealed record DataMetadata(IReadOnlyList<string>? Classes = null, Normalization? Normalization = null, DataDescription? TrainedOn = null)
    {
        /// <summary>No class names, normalisation or data description.</summary>
        public static DataMetadata None { get; } = new();
    }

    /// <summary>Optimizer settings and buffers, enough to continue training exactly.</summary>
    public sealed record OptimizerState(OptimizerSettings Settings, long Steps, int Epoch, IReadOnlyDictionary<string, Tensor> Buffers);

    /// <summary>Writes atomically: a temporary file in the same folder, renamed over <paramref name="path"/> when complete.</summary>
    public static void Save(string path, Architecture architecture, Sequential network,
        Optimizer? optimizer = null, OptimizerSettings? settings = null, TrainingState? training = null, DataMetadata? data = null)
    {
        int epoch = training?.Position.Epoch ?? 0;
        var tensors = new Dictionary<string, Tensor>();
        var int64 = new Dictionary<string, Int64Tensor>();
        foreach (var (name, p) in network.Parameters) tensors[name] = p.Value;
        foreach (var (name, b) in network.Buffers)
        {
            if (b.Value is not null) tensors[name] = b.Value;
            else int64[name] = new Int64Tensor(b.Shape, b.Int64!);
        }
        var metadata = new Dictionary<string, string>
        {
            [FormatKey] = "pt",
            [ArchitectureKey] = architecture.ToJson(),
        };
        foreach (var (key, value) in DataMetadataEntries(data ?? DataMetadata.None)) metadata[key] = value;
        if (optimizer is not null && settings is not null)
        {
            foreach (var (name, t) in optimizer.State()) tensors[OptimizerPrefix + name] = t;
            var record = new SavedOptimizer(settings, optimizer.Steps, epoch);
            metadata[OptimizerKey] = JsonSerializer.Serialize(record, JimuJsonContext.Default.SavedOptimizer);
            if (training is not null) metadata[TrainingKey] = JsonSerializer.Serialize(training, JimuJsonContext.Default.TrainingState);
        }
        SafeTensors.Write(path, tensors, metadata, int64);
    }

    /// <summary>The metadata entries (key, JSON) of the class names, normalisation and data description that are known.</summary>
    public static IEnumerable<(string Key, string Json)> DataMetadataEntries(DataMetadata data)
    {
        if (data.Classes is { } classes) yield return (ClassesKey, JsonSerializer.Serialize(classes.ToArray(), JimuJsonContext.Default.StringArray));
        if (data.Normalization is { } norm) yield return (NormalizationKey, JsonSerializer.Serialize(norm, JimuJsonContext.Default.Normalization));
        if (data.TrainedOn is { } trainedOn) yield return (DataKey, JsonSerializer.Serialize(trainedOn, JimuJsonContext.Default.DataDescription));
    }

    /// <summary>Reads the class names, normalisation and data description of a file's metadata (absent entries are null).</summary>
    public static DataMetadata ReadDataMetadata(IReadOnlyDictionary<string, string> metadata, string path)
    {
        T? Parse<T>(string key, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) where T : class
        {
            if (!metadata.TryGetValue(key, out var json)) return null;
            try { return JsonSerializer.Deserialize(json, info); }
            catch (JsonException e) { throw new ModelFileException(path, $"{path}: the metadata entry '{key}' is not valid ({e.Message}); the file is damaged, or remove the entry.", e); }
        }
        var classes = Parse(ClassesKey, JimuJsonContext.Default.StringArray);
        var norm = Parse(NormalizationKey, JimuJsonContext.Default.Normalization);
        try { norm?.Validate($"{path} ({NormalizationKey})"); }
        catch (JimuException e) { throw new ModelFileException(path, e.Message, e); }
        return new DataMetadata(classes, norm, Parse(DataKey, JimuJsonContext.Default.DataDescription));
    }

    /// <summary>An upper bound on the bytes <see cref="Save"/> writes for <paramref name="network"/> with an optimizer of <paramref name="settings"/>.</summary>
    public static long EstimateSize(Sequential network, OptimizerSettings? settings)
    {
        long values = network.Parameters.Sum(p => (long)p.Parameter.Value.Length);
        int buffers = settings is null ? 0 : settings.Kind == OptimizerKind.Adam ? 2 : settings.Momentum != 0 ? 1 : 0;
        long layerBuffers = network.Buffers.Sum(b => 8L * b.Buffer.Shape.Aggregate(1L, (a, d) => a * d));
        return 4 * values * (1 + buffers) + layerBuffers + 64 * 1024 + 256L * (network.Parameters.Count * (1 + buffers) + network.Buffers.Count);
    }

    /// <summary>
    /// Loads a model file. <paramref name="architecture"/> overrides the one stored in the file and is required
    /// for files that have none (a PyTorch state_dict).
    /// </summary>
    public static Contents Load(string path, Architecture? architecture = null) => Load(SafeTensors.Read(path), path, architecture);

    /// <summary>Loads a model file from <paramref name="stream"/>; <paramref name="name"/> names it in errors.</summary>
    public static Contents FromStream(Stream stream, string name, Architecture? architecture) =>
        Load(SafeTensors.Read(stream, name), name, architecture);

    private static Contents Load(SafeTensorsFile file, string path, Architecture? architecture)
    {
        if (architecture is null)
        {
            if (!file.Metadata.TryGetValue(ArchitectureKey, out var json))
                throw new MissingArchitectureException(path, $"{path}: the file does not say its architecture (a PyTorch state_dict?); give the architecture it was saved from.");
            try { architecture = Architecture.FromJson(json, $"{path} (stored architecture)"); }
            catch (ArchitectureException e) { throw new ModelFileException(path, $"{e.Message} The file is damaged.", e); }
        }
        // The weights must all be in the file: it bounds what the architecture may allocate (give or take 2²⁴
        // values, so that a small mismatch is reported by the tensor it concerns, below).
        long values = file.Tensors.Values.Sum(t => (long)t.Length);
        Sequential network;
        try { network = architecture.Build(maxParameters: Math.Min(values + (1 << 24), Architecture.MaxParameters)); }
        catch (Architecture.TooLargeException e)
        {
            throw new ArchitectureMismatchException(path, $"{path}: weights do not fit the architecture: {e.Message} The file holds {values:N0} values.", e);
        }
        LoadWeights(path, file.Tensors, network, file.Int64);
        OptimizerState? state = null;
        if (file.Metadata.TryGetValue(OptimizerKey, out var optJson))
        {
            SavedOptimizer saved;
            try
            {
                saved = JsonSerializer.Deserialize(optJson, JimuJsonContext.Default.SavedOptimizer) ?? throw new JsonException("empty");
                if (saved.Settings is null) throw new JsonException("no settings");
            }
            catch (JsonException e) { throw new CheckpointException(path, $"{path}: the stored optimizer state is unreadable ({e.Message}); training cannot continue from it, only start anew from its weights.", e); }
            var buffers = file.Tensors.Where(kv => kv.Key.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[OptimizerPrefix.Length..], kv => kv.Value);
            state = new OptimizerState(saved.Settings, saved.Steps, saved.Epoch, buffers);
        }
        TrainingState? training = null;
        if (state is not null && file.Metadata.TryGetValue(TrainingKey, out var trainingJson))
        {
            try
            {
                training = JsonSerializer.Deserialize(trainingJson, JimuJsonContext.Default.TrainingState) ?? throw new JsonException("empty");
                if (training.Options?.Schedule is null || training.Position is null) throw new JsonException("options or position missing");
                training.Options.Validate();
                training.Options.Normalization?.Validate($"{path} ({TrainingKey})");
            }
            catch (Exception e) when (e is JsonException or ArgumentException or FormatException or JimuException)
            {
                throw new CheckpointException(path, $"{path}: the stored training state is unreadable ({e.Message}); training cannot continue from it, only start anew from its weights.", e);
            }
            try { training.Position.Validate(); }
            catch (JimuException e) { throw new CheckpointException(path, $"{path}: {e.Message}", e); }
        }
        var data = ReadDataMetadata(file.Metadata, path);
        if (data.Classes is { } names && names.Count != network.OutputShape[^1])
            throw new ModelFileException(path, $"{path}: the file names {names.Count} classes but the network has {network.OutputShape[^1]} outputs; the file is damaged or its '{ClassesKey}' entry belongs to another model.");
        if (data.Normalization is { } n && n.Channels != network.InputShape[0])
            throw new ModelFileException(path, $"{path}: the normalization has {n.Channels} channel(s) but the network takes {network.InputShape[0]}; the file is damaged.");
        return new Contents(architecture, network, state, data) { Training = training };
    }

    /// <summary>
    /// Copies every parameter and buffer from <paramref name="tensors"/> (int64 buffers exactly from
    /// <paramref name="int64"/> when given), requiring each to be present with the right shape and no unknown tensor.
    /// </summary>
    public static void LoadWeights(string source, IReadOnlyDictionary<string, Tensor> tensors, Sequential network,
        IReadOnlyDictionary<string, Int64Tensor>? int64 = null)
    {
        foreach (var (name, p) in network.Parameters)
        {
            if (!tensors.TryGetValue(name, out var t))
                throw new ShapeMismatchException(source, name, p.Value.Shape.ToArray(), null, $"{source}: weights do not fit the architecture: tensor '{name}' {p.Value.ShapeString} is missing.");
            if (!t.ShapeEquals(p.Value.Shape))
                throw new ShapeMismatchException(source, name, p.Value.Shape.ToArray(), t.Shape.ToArray(), $"{source}: weights do not fit the architecture: '{name}' has shape {t.ShapeString} in the file but the model needs {p.Value.ShapeString}.");
            p.Value.CopyFrom(t);
            p.MarkChanged();
        }
        foreach (var (name, b) in network.Buffers)
        {
            if (!tensors.TryGetValue(name, out var t))
                throw new ShapeMismatchException(source, name, b.Shape.ToArray(), null, $"{source}: weights do not fit the architecture: buffer '{name}' {Tensor.Format(b.Shape)} is missing.");
            if (!t.ShapeEquals(b.Shape))
                throw new ShapeMismatchException(source, name, b.Shape.ToArray(), t.Shape.ToArray(), $"{source}: weights do not fit the architecture: '{name}' has shape {t.ShapeString} in the file but the model needs {Tensor.Format(b.Shape)}.");
            if (b.Value is not null) b.Value.CopyFrom(t);
            else if (int64 is not null && int64.TryGetValue(name, out var exact)) exact.Data.CopyTo(b.Int64!, 0);
            else for (int i = 0; i < b.Int64!.Length; i++) b.Int64[i] = (long)Math.Round(t.Data[i]);
            b.MarkChanged();
        }
        var known = network.Parameters.Select(p => p.Name).Concat(network.Buffers.Select(b => b.Name)).ToHashSet();
        var extra = tensors.Keys.Where(k => !known.Contains(k) && !k.StartsWith(OptimizerPrefix, StringComparison.Ordinal)).Order().ToList();
        if (extra.Count > 0)
            throw new ShapeMismatchException(source, extra[0], null, tensors[extra[0]].Shape.ToArray(), $"{source}: weights do not fit the architecture: unexpected tensor(s) {string.Join(", ", extra.Take(5).Select(e => $"'{e}'"))}.");
    }

    internal sealed record SavedOptimizer(OptimizerSettings Settings, long Steps, int Epoch);
}
