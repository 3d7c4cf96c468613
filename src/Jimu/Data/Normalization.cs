using System.Globalization;
using System.Text.Json.Serialization;
using Jimu.Tensors;

namespace Jimu.Data;

/// <summary>
/// Per-channel input normalisation, as torchvision's <c>Normalize(mean, std)</c>: x' = (x − mean[c]) / std[c], on
/// pixels already scaled to [0, 1]. A model stores it (<c>jimu.normalization</c>) and applies it itself in
/// training, evaluation and prediction, so that images are always fed as in training.
/// </summary>
public sealed record Normalization
{
    /// <summary>Per-channel mean subtracted.</summary>
    [JsonPropertyName("mean")] public float[] Mean { get; init => field = value ?? []; } = [];
    /// <summary>Per-channel standard deviation divided by.</summary>
    [JsonPropertyName("std")] public float[] Std { get; init => field = value ?? []; } = [];

    /// <summary>An empty normalisation, for JSON deserialisation.</summary>
    public Normalization() { }

    /// <summary>Per-channel (x − mean) / std.</summary>
    public Normalization(float[] mean, float[] std)
    {
        Mean = mean; Std = std;
        Validate("normalization");
    }

    /// <summary>Number of channels.</summary>
    public int Channels => Mean.Length;

    /// <summary>
    /// Checks that mean and std have one finite value per channel and every std is positive; a
    /// <see cref="SettingException"/> for "normalization" otherwise, its message starting with <paramref name="source"/>.
    /// </summary>
    public void Validate(string source)
    {
        if (Mean.Length == 0 || Mean.Length != Std.Length)
            throw new SettingException("normalization", ToString(), $"{source}: normalization needs one mean and one std per channel, got {Mean.Length} and {Std.Length}.");
        if (Mean.Any(m => !float.IsFinite(m)) || Std.Any(s => !float.IsFinite(s) || s <= 0))
            throw new SettingException("normalization", ToString(), $"{source}: normalization needs finite means and positive standard deviations, got mean {Format(Mean)}, std {Format(Std)}.");
    }

    /// <summary>
    /// Parses "M,S" (one mean and std for every channel) or "M1,M2,M3,S1,S2,S3" (per channel) for
    /// <paramref name="channels"/> channels.
    /// </summary>
    public static Normalization Parse(string text, int channels)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
                throw new SettingException("normalization", text, $"normalization '{text}': '{parts[i]}' is not a number; give M,S or one mean per channel then one std per channel.");
        if (values.Length == 2)
            return new Normalization(Enumerable.Repeat(values[0], channels).ToArray(), Enumerable.Repeat(values[1], channels).ToArray());
        if (values.Length == 2 * channels)
            return new Normalization(values[..channels], values[channels..]);
        throw new SettingException("normalization", text, $"normalization '{text}': give M,S or {channels} means then {channels} standard deviations ({2 * channels} numbers) for {channels}-channel images.");
    }

    /// <summary>The per-channel mean and (population) standard deviation of a data set's pixels, accumulated in double.</summary>
    public static Normalization Compute(Dataset data)
    {
        int c = data.Channels, plane = data.Height * data.Width;
        var sum = new double[c]; var sq = new double[c];
        var image = new float[c * plane];
        for (int i = 0; i < data.Count; i++)
        {
            data.CopyImage(i, image);
            for (int ch = 0; ch < c; ch++)
                foreach (float v in image.AsSpan(ch * plane, plane)) { sum[ch] += v; sq[ch] += (double)v * v; }
        }
        double count = (double)data.Count * plane;
        var mean = new float[c]; var std = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            double m = sum[ch] / count;
            mean[ch] = (float)m;
            std[ch] = (float)Math.Max(Math.Sqrt(Math.Max(sq[ch] / count - m * m, 0)), 1e-6);
        }
        return new Normalization(mean, std);
    }

    /// <summary>Normalises a batch [N, C, H, W] in place.</summary>
    public void Apply(Tensor batch)
    {
        if (batch.Rank < 2 || batch.Dim(1) != Channels)
            throw new ShapeException(nameof(Normalization), "images", [ShapeException.Any, Channels, ShapeException.Any, ShapeException.Any], batch.Shape.ToArray(), $"{Channels} channel(s), as its mean and standard deviation");
        int n = batch.Dim(0), plane = batch.Length / Math.Max(n * Channels, 1);
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < Channels; ch++)
            {
                float m = Mean[ch], inv = 1f / Std[ch];
                var p = batch.Data.AsSpan((i * Channels + ch) * plane, plane);
                for (int j = 0; j < p.Length; j++) p[j] = (p[j] - m) * inv;
            }
    }

    /// <summary>A short description for messages and summaries.</summary>
    public override string ToString() => $"mean {Format(Mean)}, std {Format(Std)}";

    private static string Format(float[] v) => "[" + string.Join(", ", v.Select(x => x.ToString("G4", CultureInfo.InvariantCulture))) + "]";
}
