using System.Globalization;
using System.Text.Json;
using Jimu.Models;
using Jimu.Tensors;
using Jimu.Training;

namespace Jimu.IO;

/// <summary>
/// A model in one .safetensors file: parameters under their PyTorch-style names ("conv1.weight"), the
/// architecture as JSON in the header's __metadata__["jimu.architecture"], and optionally the optimizer's
/// state (tensors "optimizer.{param}.{buffer}", settings in __metadata__["jimu.optimizer"]) for --resume.
/// A plain PyTorch state_dict saved with safetensors loads too, given the architecture.
/// </summary>
public static class ModelFile
{
    public const string ArchitectureKey = "jimu.architecture";
    public const string OptimizerKey = "jimu.optimizer";
    public const string FormatKey = "format";
    public const string OptimizerPrefix = "optimizer.";

    /// <summary>What a model file holds.</summary>
    public sealed record Contents(Architecture Architecture, Sequential Network, OptimizerState? Optimizer);

    /// <summary>Optimizer settings and buffers, enough to continue training exactly.</summary>
    public sealed record OptimizerState(OptimizerSettings Settings, long Steps, int Epoch, IReadOnlyDictionary<string, Tensor> Buffers);

    /// <summary>Writes atomically: a temporary file in the same folder, renamed over <paramref name="path"/> when complete.</summary>
    public static void Save(string path, Architecture architecture, Sequential network,
        Optimizer? optimizer = null, OptimizerSettings? settings = null, int epoch = 0)
    {
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (name, p) in network.Parameters) tensors[name] = p.Value;
        var metadata = new Dictionary<string, string>
        {
            [FormatKey] = "pt",
            [ArchitectureKey] = architecture.ToJson(),
        };
        if (optimizer is not null && settings is not null)
        {
            foreach (var (name, t) in optimizer.State()) tensors[OptimizerPrefix + name] = t;
            var record = new SavedOptimizer(settings, optimizer.Steps, epoch);
            metadata[OptimizerKey] = JsonSerializer.Serialize(record);
        }
        SafeTensors.Write(path, tensors, metadata);
    }

    /// <summary>
    /// Loads a model file. <paramref name="architecture"/> overrides the one stored in the file and is required
    /// for files that have none (a PyTorch state_dict).
    /// </summary>
    public static Contents Load(string path, Architecture? architecture = null)
    {
        var file = SafeTensors.Read(path);
        if (architecture is null)
        {
            if (!file.Metadata.TryGetValue(ArchitectureKey, out var json))
                throw new JimuException($"{path}: the file does not say its architecture (a PyTorch state_dict?); pass --arch mnist-tf, lenet5 or a JSON architecture file.");
            architecture = Architecture.FromJson(json, $"{path} (stored architecture)");
        }
        var network = architecture.Build();
        LoadWeights(path, file.Tensors, network);
        OptimizerState? state = null;
        if (file.Metadata.TryGetValue(OptimizerKey, out var optJson))
        {
            SavedOptimizer saved;
            try { saved = JsonSerializer.Deserialize<SavedOptimizer>(optJson) ?? throw new JsonException("empty"); }
            catch (JsonException e) { throw new JimuException($"{path}: the stored optimizer state is unreadable ({e.Message}); use --init instead of --resume."); }
            var buffers = file.Tensors.Where(kv => kv.Key.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[OptimizerPrefix.Length..], kv => kv.Value);
            state = new OptimizerState(saved.Settings, saved.Steps, saved.Epoch, buffers);
        }
        return new Contents(architecture, network, state);
    }

    /// <summary>Copies every parameter from <paramref name="tensors"/>, requiring each to be present with the right shape and no unknown tensor.</summary>
    public static void LoadWeights(string source, IReadOnlyDictionary<string, Tensor> tensors, Sequential network)
    {
        foreach (var (name, p) in network.Parameters)
        {
            if (!tensors.TryGetValue(name, out var t))
                throw new JimuException($"{source}: weights do not fit the architecture: tensor '{name}' {p.Value.ShapeString} is missing; check --arch.");
            if (!t.ShapeEquals(p.Value.Shape))
                throw new JimuException($"{source}: weights do not fit the architecture: '{name}' has shape {t.ShapeString} in the file but the model needs {p.Value.ShapeString}; check --arch.");
            p.Value.CopyFrom(t);
        }
        var known = network.Parameters.Select(p => p.Name).ToHashSet();
        var extra = tensors.Keys.Where(k => !known.Contains(k) && !k.StartsWith(OptimizerPrefix, StringComparison.Ordinal)).Order().ToList();
        if (extra.Count > 0)
            throw new JimuException($"{source}: weights do not fit the architecture: unexpected tensor(s) {string.Join(", ", extra.Take(5).Select(e => $"'{e}'"))}; check --arch.");
    }

    private sealed record SavedOptimizer(OptimizerSettings Settings, long Steps, int Epoch);
}
