using Jimu.Images;
using Jimu.Models;

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
        foreach (var w in DataCheck.Check(model, data.Test, data.Directory)) Console.Error.WriteLine($"warning: {w}");
    }

    /// <summary>For --resume: the data must still fit the model (classes, shape).</summary>
    public static void CheckTrainingData(Model model, LoadedData data, string path)
    {
        foreach (var w in DataCheck.Check(model, data.Train, data.Directory)) Console.Error.WriteLine($"warning: {w} (resuming {path})");
    }
}
