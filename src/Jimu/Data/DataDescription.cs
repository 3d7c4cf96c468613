using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace Jimu.Data;

/// <summary>
/// What a model was trained on, stored in its file (<c>jimu.data</c>) so that <c>eval</c> and <c>predict</c> can tell
/// when they are given data that cannot be what the model expects. Every field may be absent (older files,
/// or a model trained through the library on data without a source): absent means unknown.
/// </summary>
public sealed record DataDescription
{
    /// <summary>"idx" (MNIST-format files) or "images" (an image folder).</summary>
    [JsonPropertyName("format")] public string? Format { get; init; }
    /// <summary>The data directory as given to training.</summary>
    [JsonPropertyName("source")] public string? Source { get; init; }
    /// <summary>One training image as the network saw it: [C, H, W].</summary>
    [JsonPropertyName("input")] public int[]? Input { get; init; }
    /// <summary>Channels of the images as stored in the files, before conversion (1 grey, 3 colour; IDX: 1).</summary>
    [JsonPropertyName("source_channels")] public int? SourceChannels { get; init; }
    /// <summary>Number of classes, when known.</summary>
    [JsonPropertyName("class_count")] public int? ClassCount { get; init; }
    /// <summary><see cref="LabelSetFingerprint"/> of the classes: equal for the same class names in the same order.</summary>
    [JsonPropertyName("label_set")] public string? LabelSet { get; init; }
    /// <summary><see cref="LabelsFingerprint"/> of the test split's labels in order: equal for the same test split.</summary>
    [JsonPropertyName("test_labels")] public string? TestLabels { get; init; }
    /// <summary>Training images, when known.</summary>
    [JsonPropertyName("train_count")] public int? TrainCount { get; init; }
    /// <summary>Test images, when known.</summary>
    [JsonPropertyName("test_count")] public int? TestCount { get; init; }
    /// <summary>For an image folder split by --val-split: the held-out fraction and the seed that chose it, so that eval takes the same test images.</summary>
    [JsonPropertyName("val_split")] public double? ValSplit { get; init; }
    /// <summary>The seed that chose the held-out images of <see cref="ValSplit"/>.</summary>
    [JsonPropertyName("split_seed")] public int? SplitSeed { get; init; }
    /// <summary>Per-channel mean of the training pixels in [0, 1] (before normalisation).</summary>
    [JsonPropertyName("pixel_mean")] public float[]? PixelMean { get; init; }
    /// <summary>Per-channel standard deviation of the training pixels in [0, 1].</summary>
    [JsonPropertyName("pixel_std")] public float[]? PixelStd { get; init; }

    /// <summary>Describes a training and a test split (pixel statistics from the training split).</summary>
    public static DataDescription Of(Dataset train, Dataset? test, string? format = null, string? source = null, int? sourceChannels = null)
    {
        var stats = Normalization.Compute(train);
        return new DataDescription
        {
            Format = format,
            Source = source,
            Input = train.SampleShape.ToArray(),
            SourceChannels = sourceChannels,
            ClassCount = train.ClassCount,
            LabelSet = LabelSetFingerprint(train.ClassNames, train.ClassCount),
            TestLabels = test is null ? null : LabelsFingerprint(test.Labels),
            TrainCount = train.Count,
            TestCount = test?.Count,
            PixelMean = stats.Mean,
            PixelStd = stats.Std,
        };
    }

    /// <summary>
    /// "sha256:" + the first 16 hex digits of SHA-256 over the class names, one per line (for unnamed classes the
    /// names "0", "1", …): the same for the same classes in the same order.
    /// </summary>
    public static string LabelSetFingerprint(IReadOnlyList<string>? names, int classCount)
    {
        var list = names ?? Enumerable.Range(0, classCount).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        return Hash(Encoding.UTF8.GetBytes(string.Join("\n", list)));
    }

    /// <summary>"sha256:" + the first 16 hex digits of SHA-256 over the labels as little-endian int32s, in order.</summary>
    public static string LabelsFingerprint(ReadOnlySpan<int> labels)
    {
        var bytes = new byte[4 * labels.Length];
        for (int i = 0; i < labels.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * i), labels[i]);
        return Hash(bytes);
    }

    private static string Hash(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
}
