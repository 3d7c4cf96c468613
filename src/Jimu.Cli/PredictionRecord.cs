using System.Text.Json.Serialization;
using Jimu.Models;

namespace Jimu.Cli;

/// <summary>
/// One prediction as `jimu predict --format json` prints it and `jimu serve` answers it: the input's name and
/// position, the class and its probability, every logit and probability, and with --top K the K most probable
/// classes.
/// </summary>
public sealed record PredictionRecord(
    [property: JsonPropertyName("input")] string Input,
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("class")] int Class,
    [property: JsonPropertyName("probability")] float Probability,
    [property: JsonPropertyName("logits")] float[] Logits,
    [property: JsonPropertyName("probabilities")] float[] Probabilities,
    [property: JsonPropertyName("top")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TopClass[]? Top = null)
{
    public static PredictionRecord From(string input, int index, Prediction p, int top = 1) =>
        new(input, index, p.Class, p.Probability, p.Logits, p.Probabilities, top > 1 ? TopOf(p, top) : null);

    /// <summary>The <paramref name="k"/> most probable classes, most probable first (ties: lower class first).</summary>
    public static TopClass[] TopOf(Prediction p, int k) =>
        p.Probabilities.Select((v, c) => new TopClass(c, v)).OrderByDescending(t => t.Probability).ThenBy(t => t.Class)
            .Take(k).ToArray();
}

/// <summary>One of the most probable classes.</summary>
public sealed record TopClass(
    [property: JsonPropertyName("class")] int Class,
    [property: JsonPropertyName("probability")] float Probability);
