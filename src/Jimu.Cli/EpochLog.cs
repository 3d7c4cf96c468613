using System.Globalization;
using System.Text;
using System.Text.Json;
using Jimu.Training;

namespace Jimu.Cli;

/// <summary>
/// `train --log FILE.csv|FILE.jsonl` and `--plot FILE.png`: after every epoch the whole file is rewritten
/// (atomically), so that it is complete and readable at any moment, also after Ctrl-C.
/// CSV columns and JSONL fields: epoch, lr, train_loss, train_accuracy, test_loss, test_accuracy (accuracies in
/// 0–1; test figures empty / null without a test set), seconds, images_per_second.
/// A resumed run (<c>startEpoch</c> &gt; 0) keeps the epochs up to <c>startEpoch</c> that the log file already holds,
/// so that the log and the plot show the whole run.
/// </summary>
public sealed class EpochLog
{
    private readonly List<EpochResult> _epochs = [];
    private readonly string? _log, _plot;
    private readonly string _title;

    public EpochLog(string? logPath, string? plotPath, string title, int startEpoch = 0)
    {
        if (logPath is not null && Format(logPath) is null)
            throw new CommandLineException($"--log '{logPath}': the file name must end in .csv or .jsonl.");
        if (plotPath is not null && !plotPath.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            throw new CommandLineException($"--plot '{plotPath}': the file name must end in .png.");
        foreach (var (option, path) in new[] { ("--log", logPath), ("--plot", plotPath) })
            if (path is not null) CheckDirectory(option, path);
        _log = logPath; _plot = plotPath; _title = title;
        if (startEpoch > 0 && logPath is not null && File.Exists(logPath))
            _epochs.AddRange(Read(logPath).Where(e => e.Epoch <= startEpoch));
    }

    /// <summary>Reads a log this class wrote (CSV or JSONL), or fails with a message that names the file and the line.</summary>
    public static List<EpochResult> Read(string path)
    {
        var epochs = new List<EpochResult>();
        var lines = File.ReadAllLines(path);
        bool csv = Format(path) == "csv";
        if (csv && lines.Length > 0 && lines[0] != CsvHeader)
            throw new DataFormatException(path, $"{path}, line 1: not the header of a jimu epoch log; give another log file to resume with.") { Line = 1 };
        for (int i = csv ? 1 : 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            try
            {
                double[] v;
                if (csv)
                    v = lines[i].Split(',').Select(f => f.Length == 0 ? double.NaN : double.Parse(f, CultureInfo.InvariantCulture)).ToArray();
                else
                {
                    using var doc = JsonDocument.Parse(lines[i]);
                    var r = doc.RootElement;
                    v = new[] { "epoch", "lr", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "seconds", "images_per_second" }
                        .Select(n => r.GetProperty(n) is { ValueKind: JsonValueKind.Number } x ? x.GetDouble() : double.NaN).ToArray();
                }
                if (v.Length != 8) throw new FormatException($"{v.Length} fields instead of 8");
                epochs.Add(new EpochResult((int)v[0], (float)v[1], v[2], v[3], v[4], v[5], TimeSpan.FromSeconds(v[6]), v[7]));
            }
            catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new DataFormatException(path, $"{path}, line {i + 1}: not a line of a jimu epoch log ({e.Message}); give another log file to resume with.", e) { Line = i + 1 };
            }
        }
        return epochs;
    }

    /// <summary>Fails before any work when the file's directory does not exist.</summary>
    public static void CheckDirectory(string option, string path)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is null || !Directory.Exists(directory))
            throw new CommandLineException($"{option} '{path}': directory '{directory}' does not exist; create it first or choose another path.");
    }

    private static string? Format(string path) =>
        path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? "csv"
        : path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? "jsonl" : null;

    public void Add(EpochResult e)
    {
        _epochs.Add(e);
        if (_log is not null)
        {
            string text = Format(_log) == "csv" ? Csv(_epochs) : Jsonl(_epochs);
            Jimu.IO.AtomicFile.Write(_log, s => s.Write(Encoding.UTF8.GetBytes(text)));
        }
        if (_plot is not null) Plots.Training(_epochs, _title, _plot);
    }

    private const string CsvHeader = "epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_second";

    public static string Csv(IEnumerable<EpochResult> epochs)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder(CsvHeader).Append('\n');
        foreach (var e in epochs)
            sb.Append(inv, $"{e.Epoch},{R(e.LearningRate)},{R(e.TrainLoss)},{R(e.TrainAccuracy)},{R(e.TestLoss)},{R(e.TestAccuracy)},{R(e.Elapsed.TotalSeconds)},{R(e.ImagesPerSecond)}\n");
        return sb.ToString();
    }

    public static string Jsonl(IEnumerable<EpochResult> epochs)
    {
        var sb = new StringBuilder();
        foreach (var e in epochs)
            sb.Append(JsonSerializer.Serialize(new EpochLine(e.Epoch, e.LearningRate, e.TrainLoss, e.TrainAccuracy, Finite(e.TestLoss),
                Finite(e.TestAccuracy), e.Elapsed.TotalSeconds, e.ImagesPerSecond), CliJson.Default.EpochLine)).Append('\n');
        return sb.ToString();
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    private static string R(float v) => float.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";

    private static string R(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";
}
