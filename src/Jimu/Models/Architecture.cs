using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Jimu.IO;
using Jimu.Layers;
using Jimu.Tensors;

namespace Jimu.Models;

/// <summary>
/// A sequential CNN described as data: the input shape (C, H, W) and the layers in order.
/// It is what a JSON architecture file holds, what a model file stores in its metadata, and what
/// <see cref="Build()"/> turns into a <see cref="Sequential"/>.
/// </summary>
public sealed record Architecture
{
    /// <summary>The architecture's name, shown in summaries and saved with the model ("custom" when not given).</summary>
    [JsonPropertyName("name")] public string Name { get; init => field = value ?? "custom"; } = "custom";
    /// <summary>One sample's shape without the batch: [C, H, W].</summary>
    [JsonPropertyName("input")] public int[] Input { get; init => field = value ?? []; } = [];
    /// <summary>The layers in order.</summary>
    [JsonPropertyName("layers")] public LayerSpec[] Layers { get; init => field = value ?? []; } = [];

    /// <summary>The same layers for another input shape [C, H, W] (for networks that take any size, such as those ending in global average pooling).</summary>
    public Architecture WithInput(int[] input) => this with { Input = (int[])input.Clone() };

    /// <summary>
    /// The same network with <paramref name="classes"/> outputs: the last layer, which must be linear, gets that many
    /// out_features. Used to fit a built-in to a data set's class count.
    /// </summary>
    public Architecture WithClasses(int classes)
    {
        if (Layers.Length == 0 || Layers[^1] is not LayerSpec.Linear last)
            throw new ArchitectureException($"Architecture '{Name}' does not end in a linear layer, so its number of classes cannot be changed.");
        if (last.OutFeatures == classes) return this;
        return this with { Layers = [.. Layers[..^1], last with { OutFeatures = classes }] };
    }

    /// <summary>The architecture as JSON, in the shape of an architecture file.</summary>
    public string ToJson(bool indented = false) => indented
        ? JsonSerializer.Serialize(this, IndentedInfo)
        : JsonSerializer.Serialize(this, JimuJsonContext.Default.Architecture);

    private static readonly JsonTypeInfo<Architecture> IndentedInfo =
        (JsonTypeInfo<Architecture>)new JsonSerializerOptions(JimuJsonContext.Default.Options) { WriteIndented = true }.GetTypeInfo(typeof(Architecture));

    /// <summary>
    /// Parses an architecture; <paramref name="source"/> names the file in error messages. Layer types are matched
    /// ignoring case. Throws <see cref="ArchitectureException"/> naming the layer and field at fault: an unknown type
    /// (with the valid ones), an unknown field (with the nearest valid name), a missing or invalid value.
    /// </summary>
    public static Architecture FromJson(string json, string source = "architecture")
    {
        try { return Parse(json, source); }
        catch (ArchitectureException e) { e.Path ??= source; throw; }
    }

    private static Architecture Parse(string original, string source)
    {
        string json = CheckLayerTypes(original, source);
        Architecture? a;
        try { a = JsonSerializer.Deserialize(json, JimuJsonContext.StrictInfo<Architecture>()); }
        catch (JsonException e)
        {
            var explained = Explain(json, e, source);
            // Lines of the text as given (a rewritten layer type reformats it).
            if (ReferenceEquals(json, original)) explained.Line = e.LineNumber + 1;
            throw explained;
        }
        catch (NotSupportedException e) // a layer whose "type" the serializer did not see as one (escaped, repeated)
        {
            throw new ArchitectureException($"{source}: invalid architecture JSON: {Regex.Replace(e.Message, @"\s*Path: .*$", "", RegexOptions.Singleline)
                .Replace($"polymorphic interface or abstract type '{typeof(LayerSpec).FullName}'", "a layer")} Give each layer one plain \"type\".", inner: e);
        }
        return a ?? throw new ArchitectureException($"{source}: the architecture JSON is empty (null).");
    }

    /// <summary>The JSON type name of every layer spec, and the spec's type.</summary>
    private static readonly (string Name, Type Type)[] SpecTypes =
        JimuJsonContext.Default.LayerSpec.PolymorphismOptions!.DerivedTypes.Select(d => ((string)d.TypeDiscriminator!, d.DerivedType)).ToArray();

    /// <summary>Every layer type a JSON architecture may use.</summary>
    public static IReadOnlyList<string> LayerTypes { get; } = SpecTypes.Select(t => t.Name).ToArray();

    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>
    /// Every layer must be an object with a known "type": said here in words (the serializer's own message names .NET
    /// types). A type in other case ("Conv2D") is rewritten to its JSON name. Malformed JSON is left to the serializer.
    /// </summary>
    private static string CheckLayerTypes(string json, string source)
    {
        var rewrite = new List<(int Index, string Type)>();
        try
        {
            using var doc = JsonDocument.Parse(json, DocumentOptions);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("layers", out var layers)
                || layers.ValueKind != JsonValueKind.Array) return json;
            int i = 0;
            foreach (var layer in layers.EnumerateArray())
            {
                if (layer.ValueKind != JsonValueKind.Object)
                    throw new ArchitectureException($"{source}: layer {i + 1} is not an object; give each layer as an object with a \"type\".", i);
                if (!layer.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String)
                    throw new ArchitectureException($"{source}: layer {i + 1} has no \"type\"; use {Plain.List(LayerTypes)}.", i, "type");
                string type = t.GetString()!;
                if (!LayerTypes.Contains(type))
                {
                    string known = LayerTypes.FirstOrDefault(k => k.Equals(type, StringComparison.OrdinalIgnoreCase))
                        ?? throw new ArchitectureException($"{source}: layer {i + 1} has an unknown layer type '{type}': use {Plain.List(LayerTypes)}.", i, "type");
                    rewrite.Add((i, known));
                }
                i++;
            }
        }
        catch (JsonException) { return json; } // malformed: the serializer says where
        if (rewrite.Count == 0) return json;
        try
        {
            var root = JsonNode.Parse(json, documentOptions: DocumentOptions)!;
            foreach (var (index, type) in rewrite) root["layers"]![index]!["type"] = type;
            return root.ToJsonString();
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException) { return json; }
    }

    /// <summary>
    /// The serializer's error in the user's words: which layer, which field, and for an unknown field the nearest valid
    /// name, instead of words about .NET members.
    /// </summary>
    private static ArchitectureException Explain(string json, JsonException e, string source)
    {
        var path = Regex.Match(e.Path ?? "", @"^\$\.layers\[(\d+)\](?:\.([\w]+))?");
        int? index = path.Success ? int.Parse(path.Groups[1].Value, CultureInfo.InvariantCulture) : null;
        string? field = path.Success && path.Groups[2].Success ? path.Groups[2].Value : null;
        Type specType = typeof(Architecture);
        string where = "the architecture";
        if (index is { } i)
        {
            string? type = null;
            try
            {
                using var doc = JsonDocument.Parse(json, DocumentOptions);
                if (doc.RootElement.GetProperty("layers")[i].TryGetProperty("type", out var t)) type = t.GetString();
            }
            catch (Exception x) when (x is JsonException or KeyNotFoundException or IndexOutOfRangeException or InvalidOperationException) { }
            where = $"layer {i + 1}{(type is null ? "" : $" ({type})")}";
            specType = SpecTypes.FirstOrDefault(s => s.Name == type).Type ?? typeof(LayerSpec);
        }
        var fields = (specType == typeof(Architecture) ? [] : new[] { "type" })
            .Concat(JimuJsonContext.Strict.GetTypeInfo(specType).Properties.Select(p => p.Name))
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList(); // the record's own Type property is the discriminator

        var unknown = Regex.Match(e.Message, "The JSON property '(.*)' could not be mapped to any .NET member");
        if (unknown.Success)
        {
            string name = unknown.Groups[1].Value;
            string nearest = fields.MinBy(n => EditDistance(n, name.ToLowerInvariant())) ?? "";
            string hint = EditDistance(nearest, name.ToLowerInvariant()) <= Math.Max(2, name.Length / 3) ? $"did you mean \"{nearest}\"? " : "";
            return new ArchitectureException($"{source}: {where} has an unknown field \"{name}\"; {hint}the fields are {string.Join(", ", fields)}.", index, name, e);
        }
        var missing = Regex.Match(e.Message, "missing required properties including: (.*)\\.?$");
        if (missing.Success)
        {
            var names = Regex.Matches(missing.Groups[1].Value, "'([^']*)'").Select(m => m.Groups[1].Value).ToList();
            return new ArchitectureException($"{source}: {where} is missing {string.Join(" and ", names.Select(n => $"\"{n}\""))}.", index, names.FirstOrDefault(), e);
        }
        // A converter's own message ("unknown value 'fft': use …") or the serializer's; drop its " Path: … | LineNumber …" tail.
        string message = Regex.Replace(e.Message, @"\s*Path: .*$", "", RegexOptions.Singleline);
        message = Regex.Replace(message, @"^The JSON value could not be converted to [^.]+(\.[^.]+)*\.?", "the value has the wrong kind (a number, text, an array or an object where another is needed)");
        string what = field is null ? where : $"{where}, \"{field}\"";
        return new ArchitectureException($"{source}: invalid architecture JSON: {what}: {message.TrimEnd('.')}.", index, field, e);
    }

    private static int EditDistance(string a, string b)
    {
        var d = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) d[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            int previous = d[0];
            d[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int current = d[j];
                d[j] = Math.Min(Math.Min(d[j] + 1, d[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = current;
            }
        }
        return d[b.Length];
    }

    /// <summary>Reads a JSON architecture file; throws <see cref="JimuException"/> when it is missing or invalid.</summary>
    public static Architecture Load(string path)
    {
        if (!File.Exists(path))
            throw new ArchitectureException($"Architecture file '{path}' does not exist; give a built-in name ({string.Join(", ", BuiltIns.Names)}) or a JSON file.") { Path = path };
        return FromJson(File.ReadAllText(path), path);
    }

    /// <summary>A built-in name (mnist-tf, lenet5) or a JSON file path.</summary>
    public static Architecture Resolve(string nameOrPath) =>
        BuiltIns.TryGet(nameOrPath) ?? (nameOrPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || File.Exists(nameOrPath)
            ? Load(nameOrPath)
            : throw new ArchitectureException($"Unknown architecture '{nameOrPath}': use {string.Join(", ", BuiltIns.Names)} or a JSON architecture file."));

    /// <summary>Most parameters an architecture may have: 2²⁸ float32 values, 1 GiB (and as much for the gradients).</summary>
    public const long MaxParameters = 1L << 28;

    /// <summary>Builds the layers (weights zero until initialised or loaded), at most <see cref="MaxParameters"/> parameters.</summary>
    public Sequential Build() => Build(MaxParameters);

    /// <summary>
    /// Builds the layers (weights zero until initialised or loaded), checking that each fits the previous output
    /// and that the parameters number at most <paramref name="maxParameters"/> before any is allocated (a model
    /// loader passes the number of values its file holds: a file cannot make Jimu allocate more than it brings).
    /// Throws <see cref="ArchitectureException"/> naming the layer that does not fit.
    /// </summary>
    public Sequential Build(long maxParameters)
    {
        if (Input.Length != 3 || Input.Any(d => d < 1))
            throw new ArchitectureException($"Architecture '{Name}': \"input\" must be [channels, height, width] with positive sizes, got [{string.Join(", ", Input)}].", field: "input");
        if (Layers.Length == 0) throw new ArchitectureException($"Architecture '{Name}' has no layers.", field: "layers");
        var layers = new List<Layer>();
        var counts = new Dictionary<string, int>();
        int[] shape = [1, .. Input];
        long parameters = 0;
        for (int i = 0; i < Layers.Length; i++)
        {
            var spec = Layers[i] ?? throw new ArchitectureException($"Architecture '{Name}', layer {i + 1} is null; give each layer as an object with a \"type\".", i);
            try
            {
                parameters += spec.ParameterCount(shape);
                if (parameters > maxParameters)
                    throw new TooLargeException($"Architecture '{Name}' has more than {maxParameters:N0} parameters by layer {i + 1} ({spec.Type}); make the layers smaller.", i, maxParameters);
                string prefix = spec.NamePrefix;
                string name = spec.Name ?? $"{prefix}{(counts[prefix] = counts.GetValueOrDefault(prefix) + 1)}";
                var layer = spec.Build(shape, name);
                shape = layer.OutputShape(shape);
                layers.Add(layer);
            }
            catch (Exception e) when (e is ArgumentException or JimuException or FormatException && e is not TooLargeException)
            {
                string message = e is ArgumentException { ParamName: { } p } a ? a.Message.Replace($" (Parameter '{p}')", "") : e.Message;
                if (e is ShapeException { LayerIndex: null } misfit) misfit.LayerIndex = i; // after the message, which names the layer already
                throw new ArchitectureException($"Architecture '{Name}', layer {i + 1} ({spec.Type}): {message}", i, (e as ArchitectureException)?.Field, e);
            }
        }
        return new Sequential(layers, Input);
    }

    /// <summary>
    /// Thrown by <see cref="Build(long)"/> before allocating more parameters than allowed: the layer
    /// (<see cref="ArchitectureException.LayerIndex"/>) by which the count passes <see cref="MaxParameters"/>.
    /// </summary>
    public sealed class TooLargeException(string message, int layerIndex, long maxParameters) : ArchitectureException(message, layerIndex)
    {
        /// <summary>The most parameters the build allowed.</summary>
        public long MaxParameters { get; } = maxParameters;
    }
}
