using System.Text.Json;
using System.Text.Json.Serialization;
using Jimu.Layers;

namespace Jimu.Models;

/// <summary>
/// A sequential CNN described as data: the input shape (C, H, W) and the layers in order.
/// It is what a JSON architecture file holds, what a model file stores in its metadata, and what
/// <see cref="Build()"/> turns into a <see cref="Sequential"/>.
/// </summary>
public sealed record Architecture
{
    /// <summary>The architecture's name, shown in summaries and saved with the model.</summary>
    [JsonPropertyName("name")] public string Name { get; init; } = "custom";
    /// <summary>One sample's shape without the batch: [C, H, W].</summary>
    [JsonPropertyName("input")] public int[] Input { get; init; } = [];
    /// <summary>The layers in order.</summary>
    [JsonPropertyName("layers")] public LayerSpec[] Layers { get; init; } = [];

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The same layers for another input shape [C, H, W] (for networks that take any size, such as those ending in global average pooling).</summary>
    public Architecture WithInput(int[] input) => this with { Input = (int[])input.Clone() };

    /// <summary>
    /// The same network with <paramref name="classes"/> outputs: the last layer, which must be linear, gets that many
    /// out_features. Used to fit a built-in to a data set's class count.
    /// </summary>
    public Architecture WithClasses(int classes)
    {
        if (Layers.Length == 0 || Layers[^1].Type.ToLowerInvariant() != "linear")
            throw new JimuException($"Architecture '{Name}' does not end in a linear layer, so its number of classes cannot be changed.");
        if (Layers[^1].OutFeatures == classes) return this;
        return this with { Layers = [.. Layers[..^1], Layers[^1] with { OutFeatures = classes }] };
    }

    /// <summary>The architecture as JSON, in the shape of an architecture file.</summary>
    public string ToJson(bool indented = false) =>
        JsonSerializer.Serialize(this, new JsonSerializerOptions(Json) { WriteIndented = indented });

    /// <summary>Parses an architecture; <paramref name="source"/> names the file in error messages.</summary>
    public static Architecture FromJson(string json, string source = "architecture")
    {
        Architecture? a;
        try { a = JsonSerializer.Deserialize<Architecture>(json, Json); }
        catch (JsonException e) when (UnknownField(json, e) is { } message) { throw new JimuException($"{source}: {message}"); }
        catch (JsonException e) { throw new JimuException($"{source}: invalid architecture JSON: {e.Message}"); }
        if (a is null) throw new JimuException($"{source}: the architecture JSON is empty.");
        if (a.Input is null || a.Layers is null || a.Name is null)
            throw new JimuException($"{source}: invalid architecture JSON: \"name\", \"input\" and \"layers\" must not be null.");
        return a;
    }

    /// <summary>
    /// For a field that no spec has ("out_chanels"): which layer, which field, and the nearest valid name, instead of
    /// the serializer's words about .NET members. Null for any other error.
    /// </summary>
    private static string? UnknownField(string json, JsonException e)
    {
        var m = System.Text.RegularExpressions.Regex.Match(e.Message, "The JSON property '(.*)' could not be mapped to any .NET member contained in type '([^']*)'");
        if (!m.Success) return null;
        string field = m.Groups[1].Value;
        var type = m.Groups[2].Value.EndsWith(nameof(LayerSpec), StringComparison.Ordinal) ? typeof(LayerSpec) : typeof(Architecture);
        var names = type.GetProperties()
            .Select(p => p.GetCustomAttributes(typeof(JsonPropertyNameAttribute), false).OfType<JsonPropertyNameAttribute>().FirstOrDefault()?.Name)
            .OfType<string>().ToList();
        string nearest = names.MinBy(n => EditDistance(n, field.ToLowerInvariant())) ?? "";
        string hint = EditDistance(nearest, field.ToLowerInvariant()) <= Math.Max(2, field.Length / 3) ? $"did you mean \"{nearest}\"? " : "";
        string where = "the architecture";
        var layer = System.Text.RegularExpressions.Regex.Match(e.Path ?? "", @"^\$\.layers\[(\d+)\]");
        if (layer.Success && type == typeof(LayerSpec))
        {
            int index = int.Parse(layer.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            string? layerType = null;
            try
            {
                using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
                if (doc.RootElement.GetProperty("layers")[index].TryGetProperty("type", out var t)) layerType = t.GetString();
            }
            catch (Exception x) when (x is JsonException or KeyNotFoundException or IndexOutOfRangeException or InvalidOperationException) { }
            where = $"layer {index + 1}{(layerType is null ? "" : $" ({layerType})")}";
        }
        return $"{where} has an unknown field \"{field}\"; {hint}the fields are {string.Join(", ", names)}.";
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
        if (!File.Exists(path)) throw new JimuException($"Architecture file '{path}' does not exist; pass a built-in name ({string.Join(", ", BuiltIns.Names)}) or a JSON file.");
        return FromJson(File.ReadAllText(path), path);
    }

    /// <summary>A built-in name (mnist-tf, lenet5) or a JSON file path.</summary>
    public static Architecture Resolve(string nameOrPath) =>
        BuiltIns.TryGet(nameOrPath) ?? (nameOrPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || File.Exists(nameOrPath)
            ? Load(nameOrPath)
            : throw new JimuException($"Unknown architecture '{nameOrPath}': use {string.Join(", ", BuiltIns.Names)} or a JSON architecture file."));

    /// <summary>Most parameters an architecture may have: 2²⁸ float32 values, 1 GiB (and as much for the gradients).</summary>
    public const long MaxParameters = 1L << 28;

    /// <summary>Builds the layers (weights zero until initialised or loaded), at most <see cref="MaxParameters"/> parameters.</summary>
    public Sequential Build() => Build(MaxParameters);

    /// <summary>
    /// Builds the layers (weights zero until initialised or loaded), checking that each fits the previous output
    /// and that the parameters number at most <paramref name="maxParameters"/> before any is allocated (a model
    /// loader passes the number of values its file holds: a file cannot make Jimu allocate more than it brings).
    /// </summary>
    public Sequential Build(long maxParameters)
    {
        if (Input.Length != 3 || Input.Any(d => d < 1))
            throw new JimuException($"Architecture '{Name}': \"input\" must be [channels, height, width] with positive sizes, got [{string.Join(", ", Input)}].");
        if (Layers.Length == 0) throw new JimuException($"Architecture '{Name}' has no layers.");
        var layers = new List<Layer>();
        var counts = new Dictionary<string, int>();
        int[] shape = [1, .. Input];
        long parameters = 0;
        for (int i = 0; i < Layers.Length; i++)
        {
            var spec = Layers[i] ?? throw new JimuException($"Architecture '{Name}', layer {i + 1} is null; give each layer as an object with a \"type\".");
            try
            {
                parameters += ParameterCount(spec, shape);
                if (parameters > maxParameters)
                    throw new TooLargeException($"Architecture '{Name}' has more than {maxParameters:N0} parameters by layer {i + 1} ({spec.Type}); make the layers smaller.");
                var layer = Create(spec, shape, counts);
                shape = layer.OutputShape(shape);
                layers.Add(layer);
            }
            catch (Exception e) when (e is ArgumentException or JimuException or FormatException && e is not TooLargeException)
            {
                throw new JimuException($"Architecture '{Name}', layer {i + 1} ({spec.Type}): {e.Message}");
            }
        }
        return new Sequential(layers, Input);
    }

    private static Layer Create(LayerSpec s, int[] inShape, Dictionary<string, int> counts)
    {
        string type = (s.Type ?? "").ToLowerInvariant();
        string prefix = type switch
        {
            "conv2d" => "conv", "linear" => "fc", "maxpool2d" or "avgpool2d" => "pool",
            "batchnorm2d" or "batchnorm1d" => "bn", "globalavgpool2d" => "gap", _ => type,
        };
        string name = s.Name ?? $"{prefix}{(counts[prefix] = counts.GetValueOrDefault(prefix) + 1)}";
        var (kh, kw) = Pair(s.Kernel, "kernel");
        switch (type)
        {
            case "conv2d":
                RequireRank(inShape, 4, "conv2d");
                var (sh, sw) = s.Stride is null ? (1, 1) : Pair(s.Stride, "stride");
                return new Conv2D(inShape[1], s.OutChannels ?? throw Missing("out_channels"), kh, kw, sh, sw,
                    ParsePadding(s.Padding), s.Bias ?? true, ConvAlgorithmOf(s.Algorithm), name);
            case "maxpool2d":
            case "avgpool2d":
                RequireRank(inShape, 4, type);
                var (ph, pw) = s.Stride is null ? (kh, kw) : Pair(s.Stride, "stride");
                var algo = PoolAlgorithmOf(s.Algorithm);
                return type == "maxpool2d"
                    ? new MaxPool2D(kh, kw, ph, pw, ParsePadding(s.Padding), algo, name)
                    : new AvgPool2D(kh, kw, ph, pw, ParsePadding(s.Padding), algo, name);
            case "linear":
                RequireRank(inShape, 2, "linear");
                return new Linear(inShape[1], s.OutFeatures ?? throw Missing("out_features"), s.Bias ?? true, name);
            case "batchnorm2d":
                RequireRank(inShape, 4, type);
                return new BatchNorm2d(inShape[1], s.Eps ?? 1e-5, s.Momentum ?? 0.1, name);
            case "batchnorm1d":
                RequireRank(inShape, 2, type);
                return new BatchNorm1d(inShape[1], s.Eps ?? 1e-5, s.Momentum ?? 0.1, name);
            case "globalavgpool2d":
                RequireRank(inShape, 4, type);
                return new GlobalAvgPool2d(name);
            case "relu": return new Relu(name);
            case "leakyrelu": return new LeakyRelu(s.NegativeSlope ?? 0.01, name);
            case "sigmoid": return new Sigmoid(name);
            case "tanh": return new Tanh(name);
            case "flatten": return new Flatten(name);
            case "dropout": return new Dropout(s.P ?? 0.5, seed: 0, name);
            default:
                throw new JimuException($"unknown layer type '{s.Type}': use {string.Join(", ", LayerTypes)}.");
        }
    }

    /// <summary>Thrown by <see cref="Build(long)"/> before allocating more parameters than allowed.</summary>
    public sealed class TooLargeException(string message) : JimuException(message);

    /// <summary>The parameters <paramref name="s"/> would allocate on <paramref name="inShape"/>, computed before anything is allocated.</summary>
    private static long ParameterCount(LayerSpec s, int[] inShape)
    {
        long bias = s.Bias ?? true ? 1 : 0;
        switch ((s.Type ?? "").ToLowerInvariant())
        {
            case "conv2d" when inShape.Length == 4 && s.OutChannels is > 0 and var o:
                var (kh, kw) = Pair(s.Kernel, "kernel");
                return (long)o * (Math.Max(kh, 0) * (long)Math.Max(kw, 0) * inShape[1] + bias);
            case "linear" when inShape.Length == 2 && s.OutFeatures is > 0 and var f:
                return (long)f * (inShape[1] + bias);
            case "batchnorm2d" or "batchnorm1d" when inShape.Length >= 2:
                return 4L * inShape[1]; // weight, bias, running mean and variance
            default:
                return 0;
        }
    }

    /// <summary>Every layer type a JSON architecture may use.</summary>
    public static IReadOnlyList<string> LayerTypes { get; } =
    [
        "conv2d", "maxpool2d", "avgpool2d", "globalavgpool2d", "linear", "batchnorm2d", "batchnorm1d",
        "relu", "leakyrelu", "sigmoid", "tanh", "flatten", "dropout",
    ];

    private static (int, int) Pair(int[]? v, string what) => v switch
    {
        null => (0, 0),
        [int a] => (a, a),
        [int a, int b] => (a, b),
        _ => throw new JimuException($"\"{what}\" must be [n] or [h, w]."),
    };

    private static void RequireRank(int[] shape, int rank, string type)
    {
        if (shape.Length != rank)
            throw new JimuException(rank == 2
                ? $"{type} needs a flat input [N, features] but gets [{string.Join(", ", shape[1..])}] per sample; add a flatten layer before it."
                : $"{type} needs an image input [N, C, H, W] but gets [{string.Join(", ", shape[1..])}] per sample.");
    }

    private static Padding ParsePadding(string? p) => p is null ? Padding.Zero : Padding.Parse(p);

    private static ConvAlgorithm ConvAlgorithmOf(string? a) => a?.ToLowerInvariant() switch
    {
        null or "auto" => ConvAlgorithm.Auto,
        "winograd" => ConvAlgorithm.Winograd,
        "vectorized" => ConvAlgorithm.Vectorized,
        "im2col" => ConvAlgorithm.Im2Col,
        "direct" => ConvAlgorithm.Direct,
        _ => throw new JimuException($"unknown algorithm '{a}': use auto, winograd, vectorized, im2col or direct."),
    };

    // Pooling is memory-bound: the direct loops beat unfolding the windows first, so they are the default.
    private static PoolAlgorithm PoolAlgorithmOf(string? a) => a?.ToLowerInvariant() switch
    {
        "im2col" => PoolAlgorithm.Im2Col,
        null or "direct" => PoolAlgorithm.Direct,
        _ => throw new JimuException($"unknown algorithm '{a}': use im2col or direct."),
    };

    private static JimuException Missing(string field) => new($"missing \"{field}\".");
}
