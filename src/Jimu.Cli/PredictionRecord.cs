using System.Text.Json.Serialization;
using Jimu.Models;

namespace Jimu.Cli;

/// <summary>
/// One prediction as `jimu predict --format json` prints it and `jimu serve` answers it: the input's name and
/// position, the class (its name when the model knows its class names, else its index) and the class index,
/// its probability, every logit and probability, and with --top K the K most probable classes.
/// </summary>
public sealed record PredictionRecord(
    [property: JsonPropertyName("input")] string Input,
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("class")] object Class,
    [property: JsonPropertyName("class_index")] int ClassIndex,
    [property: JsonPropertyName("probability")] float Probability,
    [property: JsonPropertyName("logits")] float[] Logits,
    [property: JsonPropertyName("probabilities")] float[] Probabilities,
    [property: JsonPropertyName("top")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TopClass[]? Top = null)
{
    /// <summary>`jimu serve` with input=true: the model's input as it was fed (after any preprocessing).</summary>
    [JsonPropertyName("seen")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public float[]? Seen { get; init; }

    /// <summary>`jimu serve` with input=true: whether the picture was inverted (a light background).</summary>
    [JsonPropertyName("inverted")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Inverted { get; init; }

    /// <param name="classes">The model's class names (<see cref="Model.Classes"/>), or null when unknown.</param>
    public static PredictionRecord From(string input, int index, Prediction p, int top = 1, IReadOnlyList<string>? classes = null) =>
        new(input, index, classes is null ? p.Class : p.Label, p.Class, p.Probability, p.Logits, p.Probabilities,
            top > 1 ? TopOf(p, top, classes) : null);

    /// <summary>The <paramref name="k"/> most probable classes, most probable first (ties: lower class first).</summary>
    public static TopClass[] TopOf(Prediction p, int k, IReadOnlyList<string>? classes = null) =>
        p.Probabilities.Select((v, c) => new TopClass(c, v, classes?[c])).OrderByDescending(t => t.Probability).ThenBy(t => t.Class)
            .Take(k).ToArray();
}

/// <summary>One of the most probable classes: its index, probability and name (omitted when the model has none).</summary>
public sealed record TopClass(
    [property: JsonPropertyName("class")] int Class,
    [property: JsonPropertyName("probability")] float Probability,
    [property: JsonPropertyName("name")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name = null);
