using System.Globalization;
using Jimu.Images;
using Jimu.Models;
using Jimu.Tensors;

namespace Jimu.Cli;

/// <summary>The CLI's side of <see cref="DataCheck"/>: which data eval uses by default, and warnings on standard error.</summary>
public static class ModelChecks
{
    /// <summary>
    /// The data directory for eval: --data when given; else the one the model was trained on when it is recorded
    /// and still there (said on standard error); else the bundled sample.
    /// </summary>
    public static string EvalDirectory(Model model, string? given)
    {
        if (given is not null) return given;
        if (model.TrainedOn?.Source is { } source && Directory.Exists(source))
        {
            Console.Error.WriteLine($"note: evaluating on {source}, the data the model was trained on (recorded in the model file); pass --data to choose.");
            return source;
        }
        return DataPaths.DefaultDataDirectory();
    }

    /// <summary>Refuses data the model cannot take; prints warnings for data that looks unlike its training data.</summary>
    public static void CheckEvalData(Model model, LoadedData data)
    {
        bool sameSource = model.TrainedOn?.Source is { } src && Path.GetFullPath(data.Directory) == Path.GetFullPath(src);
        foreach (var w in DataCheck.Check(model, data.Test, data.Directory, sameSource)) Console.Error.WriteLine($"warning: {w}");
    }

    /// <summary>
    /// predict --classes FILE: the names, one per line, must number the model's outputs and be the classes it was
    /// trained on (<see cref="DataCheck.CheckClasses"/>); a model without names takes them.
    /// </summary>
    public static void UseClasses(Model model, string file)
    {
        if (!File.Exists(file)) throw new SettingException("class names", file, $"{file}: the class names file does not exist.");
        int outputs = model.Network.OutputShape[^1];
        int given = File.ReadAllLines(file).Select(l => l.Trim()).Reverse().SkipWhile(l => l.Length == 0).Count();
        if (given != outputs)
            throw new SettingException("class names", file, $"{file}: {given} class name(s) but the model has {outputs} outputs; give one name per line, in label order.");
        var names = DataSource.ReadClasses(file, ".", outputs)!;
        DataCheck.CheckClasses(model, names, file);
        model.Classes ??= names;
    }

    /// <summary>
    /// predict: one-line warnings when the inputs cannot be what the model expects: grey pictures for a model
    /// trained on colour (or colour for one trained on grey pictures repeated in RGB), IDX images of another size
    /// than its input (resized), and pixels unlike its training data (<see cref="DataCheck.CheckImages"/>).
    /// </summary>
    public static IReadOnlyList<string> PredictWarnings(Model model, IReadOnlyList<ImageInput.Item> items, Tensor batch)
    {
        var warnings = new List<string>();
        var t = model.TrainedOn;
        int[] input = model.Network.InputShape;
        string Of(IReadOnlyList<ImageInput.Item> some) => some.Count == 1 ? some[0].Name : $"{some.Count:N0} of the {items.Count:N0} images (first {some[0].Name})";
        string source = t?.Source is { } s ? $" ({s})" : "";
        if (input[0] == 3 && t?.SourceChannels is { } sc)
        {
            var unlike = items.Where(i => i.Colour != (sc >= 3)).ToList();
            if (unlike.Count > 0)
                warnings.Add(sc >= 3
                    ? $"{Of(unlike)}: grey, but the model was trained on colour images{source}; it sees grey repeated in R, G and B."
                    : $"{Of(unlike)}: colour, but the model was trained on grey images{source}; its predictions for colour may mean little.");
        }
        var resized = items.Where(i => i.Idx && i.SourceSize != (input[1], input[2])).ToList();
        if (resized.Count > 0)
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"{Of(resized)}: IDX images of {resized[0].SourceSize.Height}×{resized[0].SourceSize.Width}, but the model takes {input[1]}×{input[2]}{source}; they were resized, so they are other data than it was trained on."));
        string where = items.Count == 1 ? items[0].Name : $"the {items.Count:N0} images";
        warnings.AddRange(DataCheck.CheckImages(model, batch, where));
        return warnings;
    }

    /// <summary>For --resume: the data must still fit the model (classes, shape).</summary>
    public static void CheckTrainingData(Model model, LoadedData data, string path)
    {
        foreach (var w in DataCheck.Check(model, data.Train, data.Directory)) Console.Error.WriteLine($"warning: {w} (resuming {path})");
    }
}
