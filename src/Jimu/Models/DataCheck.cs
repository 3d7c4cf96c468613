using System.Globalization;
using Jimu.Data;
using Jimu.Tensors;

namespace Jimu.Models;

/// <summary>
/// "A model knows its data": compares a data set, or images about to be predicted, with what a model was trained on
/// (<see cref="Model.Classes"/>, <see cref="Model.TrainedOn"/>). What cannot work is refused with a one-line
/// <see cref="JimuException"/>; what merely looks wrong comes back as one-line warnings. Absent facts (older files)
/// are not checked.
/// </summary>
public static class DataCheck
{
    /// <summary>
    /// Refuses <paramref name="data"/> when its images do not have the model's input shape, it has more classes than
    /// the model has outputs, or its classes are not those the model was trained on (<see cref="CheckClasses"/>).
    /// Returns warnings when the pixels look unlike the training data (<see cref="PixelWarning"/>), or when
    /// <paramref name="sameSource"/> (the directory the model was trained on) and its test labels are not those
    /// recorded at training (<see cref="DataDescription.TestLabels"/>): another split, or changed files.
    /// </summary>
    public static IReadOnlyList<string> Check(Model model, Dataset data, string where, bool sameSource = false)
    {
        model.RequireClassifier();
        var input = model.Network.InputShape;
        if (!data.SampleShape.SequenceEqual(input))
            throw new DataMismatchException(where, Shape(input), Shape(data.SampleShape), $"{where}: the images are {Shape(data.SampleShape)} but the model takes {Shape(input)}; evaluate it on data like its training data{Source(model)}.");
        int outputs = model.Network.OutputShape[^1];
        if (data.ClassCount > outputs)
            throw new DataMismatchException(where, $"{outputs} classes", $"{data.ClassCount} classes", $"{where}: the data has {data.ClassCount} classes but the model has {outputs} outputs; it was trained on other data{Source(model)}.");
        if (data.ClassNames is { } theirs) CheckClasses(model, theirs, where);

        var warnings = new List<string>();
        if (data.Count > 0 && model.TrainedOn?.PixelMean is { } m && m.Length == data.Channels
            && MeanWarning(model, Normalization.Compute(data).Mean, data.Count, where) is { } w) warnings.Add(w);
        if (sameSource && model.TrainedOn is { TestLabels: { } recorded, TestCount: { } count } && data.Count > 0)
        {
            string now = DataDescription.LabelsFingerprint(data.Labels);
            if (now != recorded)
                warnings.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{where}: these {data.Count:N0} test images are not the test split the model was trained beside ({count:N0} images, labels {recorded}, now {now}); if they overlap its training images, the accuracy is optimistic."));
        }
        return warnings;
    }

    /// <summary>
    /// Refuses class names that are not the model's: its <see cref="Model.Classes"/> when it has them, else the
    /// recorded fingerprint of its training labels (<see cref="DataDescription.LabelSet"/>). A model trained on
    /// unnamed classes (fingerprint of "0", "1", …) takes any names of the right count: they name its outputs.
    /// </summary>
    public static void CheckClasses(Model model, IReadOnlyList<string> names, string where)
    {
        int outputs = model.Network.OutputShape[^1];
        if (names.Count > outputs)
            throw new DataMismatchException(where, $"{outputs} classes", $"{names.Count} class names", $"{where}: {names.Count} class names but the model has {outputs} outputs; it was trained on other classes{Source(model)}.");
        if (model.Classes is { } mine)
        {
            if (!mine.SequenceEqual(names))
                throw new DataMismatchException(where, List(mine), List(names), $"{where}: the classes ({List(names)}) are not the model's ({List(mine)}); use the data the model was trained on{Source(model)}.");
            return;
        }
        if (model.TrainedOn is { LabelSet: { } recorded } t)
        {
            int count = t.ClassCount ?? names.Count;
            if (recorded == DataDescription.LabelSetFingerprint(null, count)) return; // trained on unnamed classes
            string given = DataDescription.LabelSetFingerprint(names, names.Count);
            if (given != recorded)
                throw new DataMismatchException(where, $"label set {recorded}", $"label set {given}", $"{where}: the classes ({List(names)}, label set {given}) are not those the model was trained on (label set {recorded}); use its training data's class names{Source(model)}.");
        }
    }

    /// <summary>
    /// Refuses <paramref name="images"/> [N, C, H, W] whose image shape is not the model's input (before any work),
    /// and returns warnings when they cannot be what the model expects: pixels outside [0, 1] (already normalised,
    /// or 0–255: the model applies its own <see cref="Model.Normalization"/> to [0, 1] pixels), or pixels unlike its
    /// training data (<see cref="PixelWarning"/>).
    /// </summary>
    public static IReadOnlyList<string> CheckImages(Model model, Tensor images, string where)
    {
        CheckShape(model, images, where);
        var warnings = new List<string>();
        int n = images.Dim(0);
        if (n == 0) return warnings;
        var span = images.Data.AsSpan(0, images.Length);
        float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
        foreach (float v in span) { lo = MathF.Min(lo, v); hi = MathF.Max(hi, v); }
        if (!(lo >= -1e-3f && hi <= 1 + 1e-3f))
        {
            string norm = model.Normalization is null ? "" : " and applies its own normalisation";
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"{where}: pixels range from {lo:G4} to {hi:G4}, but the model takes pixels in [0, 1]{norm}; pass raw pixels divided by 255, not normalised ones."));
            return warnings;
        }
        if (PixelWarning(model, span, n, where) is { } w) warnings.Add(w);
        return warnings;
    }

    /// <summary>
    /// Refuses images [N, …] whose shape after N is not the model's input: a <see cref="ShapeException"/> whose
    /// <see cref="ShapeException.Operation"/> names the model ("Model 'mnist-tf'"), <see cref="ShapeException.Argument"/>
    /// is <paramref name="where"/> ("images", a file), <see cref="ShapeException.Expected"/> [*, C, H, W] and whose hint
    /// says what to change (the size, the channels).
    /// </summary>
    public static void CheckShape(Model model, Tensor images, string where)
    {
        var input = model.Network.InputShape;
        if (images.Rank == input.Length + 1 && images.Shape[1..].SequenceEqual(input)) return;
        string hint = images.Rank != input.Length + 1 ? $"give a batch [N, {string.Join(", ", input)}]"
            : images.Dim(1) != input[0] ? $"convert them to {input[0]} channel(s){(images.Shape[2..].SequenceEqual(input.AsSpan(1)) ? "" : $" of {Shape(input.AsSpan(1))}")}"
            : $"resize them to {Shape(input.AsSpan(1))}";
        throw new ShapeException($"Model '{model.Architecture.Name}'", where, [ShapeException.Any, .. input], images.Shape.ToArray(),
            $"{Shape(input)} images{Source(model)}", hint);
    }

    /// <summary>
    /// A warning when <paramref name="count"/> images (pixels in [0, 1], C·H·W each) look unlike the training data
    /// (<see cref="MeanWarning"/>); null when they do not or nothing was recorded.
    /// </summary>
    public static string? PixelWarning(Model model, ReadOnlySpan<float> pixels, int count, string where)
    {
        int channels = model.Network.InputShape[0];
        if (model.TrainedOn?.PixelMean is null || count <= 0 || pixels.Length % (count * channels) != 0) return null;
        int plane = pixels.Length / (count * channels);
        var now = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int i = 0; i < count; i++)
                foreach (float v in pixels.Slice((i * channels + c) * plane, plane)) sum += v;
            now[c] = (float)(sum / ((double)count * plane));
        }
        return MeanWarning(model, now, count, where);
    }

    /// <summary>
    /// A warning when a channel's mean pixel <paramref name="now"/> over <paramref name="count"/> images is off the
    /// recorded training mean by more than 0.25·σ·max(1, √(32/N)), σ the training standard deviation (MNIST digits
    /// against Fashion-MNIST: 0.13 against 0.29, σ 0.35; a real test split of the same data: under 0.01; the same
    /// digits inverted: 0.87). The √(32/N) widens the margin for a few images, whose mean varies more.
    /// </summary>
    private static string? MeanWarning(Model model, float[] now, int count, string where)
    {
        if (model.TrainedOn is not { PixelMean: { } mean, PixelStd: { } std } || mean.Length != now.Length || std.Length != now.Length) return null;
        double margin = 0.25 * Math.Max(1, Math.Sqrt(32.0 / count));
        for (int c = 0; c < now.Length; c++)
            if (Math.Abs(now[c] - mean[c]) > margin * Math.Max(std[c], 1e-3))
                return string.Create(CultureInfo.InvariantCulture,
                    $"{where}: these images do not look like the model's training data (mean pixel {now[c]:F3} against {mean[c]:F3}{(now.Length > 1 ? $" in channel {c}" : "")}{Source(model)}); the scores may mean little.");
        return null;
    }

    private static string Source(Model m) => m.TrainedOn?.Source is { } s ? $" ({s})" : "";
    private static string Shape(ReadOnlySpan<int> s) => string.Join("×", s.ToArray());
    private static string List(IReadOnlyList<string> names) => string.Join(", ", names.Take(5)) + (names.Count > 5 ? ", …" : "");
}
