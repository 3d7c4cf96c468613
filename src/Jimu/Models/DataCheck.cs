using System.Globalization;
using Jimu.Data;

namespace Jimu.Models;

/// <summary>
/// "A model knows its data": compares a data set with what a model was trained on (<see cref="Model.Classes"/>,
/// <see cref="Model.TrainedOn"/>). What cannot work is refused with a one-line <see cref="JimuException"/>; what
/// merely looks wrong comes back as one-line warnings. Absent facts (older files) are not checked.
/// </summary>
public static class DataCheck
{
    /// <summary>
    /// Refuses <paramref name="data"/> when its images do not have the model's input shape, it has more classes than
    /// the model has outputs, or both name their classes and the names differ. Returns warnings when the pixels look
    /// unlike the training data: a channel's mean pixel off by more than a quarter of the training standard deviation
    /// (MNIST digits against Fashion-MNIST: 0.13 against 0.29, σ 0.35; a real test split of the same data: under 0.01).
    /// </summary>
    public static IReadOnlyList<string> Check(Model model, Dataset data, string where)
    {
        var input = model.Network.InputShape;
        if (!data.SampleShape.SequenceEqual(input))
            throw new JimuException($"{where}: the images are {Shape(data.SampleShape)} but the model takes {Shape(input)}; evaluate it on data like its training data{Source(model)}.");
        int outputs = model.Network.OutputShape[^1];
        if (data.ClassCount > outputs)
            throw new JimuException($"{where}: the data has {data.ClassCount} classes but the model has {outputs} outputs; it was trained on other data{Source(model)}.");
        if (model.Classes is { } mine && data.ClassNames is { } theirs && !mine.SequenceEqual(theirs))
            throw new JimuException($"{where}: the data's classes ({List(theirs)}) are not the model's ({List(mine)}); use the data the model was trained on{Source(model)}.");

        var warnings = new List<string>();
        var t = model.TrainedOn;
        if (t?.PixelMean is { } mean && t.PixelStd is { } std && mean.Length == data.Channels && data.Count > 0)
        {
            var now = Normalization.Compute(data);
            for (int c = 0; c < mean.Length; c++)
                if (Math.Abs(now.Mean[c] - mean[c]) > 0.25 * Math.Max(std[c], 1e-3))
                {
                    warnings.Add(string.Create(CultureInfo.InvariantCulture,
                        $"{where}: these images do not look like the model's training data (mean pixel {now.Mean[c]:F3} against {mean[c]:F3}{(mean.Length > 1 ? $" in channel {c}" : "")}{Source(model)}); the scores may mean little."));
                    break;
                }
        }
        return warnings;
    }

    private static string Source(Model m) => m.TrainedOn?.Source is { } s ? $" ({s})" : "";
    private static string Shape(ReadOnlySpan<int> s) => string.Join("×", s.ToArray());
    private static string List(IReadOnlyList<string> names) => string.Join(", ", names.Take(5)) + (names.Count > 5 ? ", …" : "");
}
