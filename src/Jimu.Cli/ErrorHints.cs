using System.CommandLine;
using System.CommandLine.Parsing;

namespace Jimu.Cli;

/// <summary>
/// The library says what is wrong in its own words and carries the data (file, layer, setting); the command line adds
/// what to type. One place maps each kind of error to its option, and only to an option the command being run has:
/// `predict` is never told to pass `--skip-bad`, and a file is traced back to the option that named it.
/// </summary>
public static class ErrorHints
{
    /// <summary>
    /// The library's message with the command-line hint for the kind of error <paramref name="e"/> is, for the command
    /// <paramref name="parse"/> ran (null: every hint applies).
    /// </summary>
    public static string Explain(Exception e, ParseResult? parse = null)
    {
        var on = new Invocation(parse);
        return e switch
        {
            MissingArchitectureException when on.Has("--arch") => With(e.Message, "pass --arch mnist-tf, lenet5 or a JSON architecture file"),
            ArchitectureMismatchException when on.Has("--arch") => With(e.Message, "check --arch"),
            CheckpointException when on.Has("--init") => With(e.Message, "start anew with --init instead of --resume"),
            TrainingDivergedException when on.Has("--lr") => With(e.Message, "lower --lr"),
            ImageTooLargeException when on.Has("--max-megapixels") && on.Has("--skip-bad") => With(e.Message, "raise --max-megapixels, or pass --skip-bad to skip such files"),
            ImageTooLargeException when on.Has("--max-megapixels") => With(e.Message, "raise --max-megapixels"),
            ImageDecodeException when on.Has("--skip-bad") => With(e.Message, "or pass --skip-bad to skip such files"),
            SettingException s when OptionOf(s.Setting) is { } option && on.Has(option) => $"{option}: {e.Message}",
            // A file that cannot be written: the option that named it, or --out for a default name.
            FileWriteException w when (on.Holding(w.Path, Writers) ?? (on.Has("--out") ? "--out" : null)) is { } option => With(e.Message, option),
            DataFormatException d when on.Holding(d.Path) is { } option => With(e.Message, $"check {option}"),
            DataMismatchException m when on.Holding(m.Where) is { } option => With(e.Message, $"check {option}"),
            _ => e.Message,
        };
    }

    /// <summary>The options whose value is a file jimu writes.</summary>
    private static readonly string[] Writers = ["--out", "--log", "--plot"];

    /// <summary>The option that sets a setting the library names.</summary>
    private static string? OptionOf(string setting) => setting switch
    {
        "normalization" => "--normalize",
        "validation split" => "--val-split",
        "class names" => "--classes",
        "learning-rate schedule" => "--schedule",
        "learning rate" => "--lr",
        "momentum" => "--momentum",
        "nesterov" => "--nesterov",
        "weight decay" => "--weight-decay",
        "epochs" => "--epochs",
        "batch size" => "--batch-size",
        "shift" => "--shift",
        "crop padding" => "--crop",
        "checkpoint interval" => "--checkpoint-every",
        "image format" => "--format",
        "JPEG quality" => "--quality",
        _ => null,
    };

    /// <summary>"message (hint)."</summary>
    public static string With(string message, string hint) => $"{message.TrimEnd().TrimEnd('.')} ({hint}).";

    /// <summary>What the command line of the failed run holds: its command's options and the values typed for them.</summary>
    private readonly struct Invocation(ParseResult? parse)
    {
        private IEnumerable<Option> Options()
        {
            if (parse is null) yield break;
            // The command's own options and the recursive ones of its parents (--threads).
            for (Command? c = parse.CommandResult.Command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
                foreach (var o in c.Options)
                    if (c == parse.CommandResult.Command || o.Recursive) yield return o;
        }

        /// <summary>Whether the command has <paramref name="option"/>; always true when the command is not known.</summary>
        public bool Has(string option) => parse is null || Options().Any(o => o.Name == option || o.Aliases.Contains(option));

        /// <summary>
        /// The option (among <paramref name="among"/>, or any) whose typed value is <paramref name="path"/> or a folder
        /// that holds it; null when none is.
        /// </summary>
        public string? Holding(string path, IReadOnlyCollection<string>? among = null)
        {
            if (parse is null || Full(path) is not { } target) return null;
            foreach (var o in Options())
            {
                if (among is not null && !among.Contains(o.Name)) continue;
                if (parse.GetResult(o) is not OptionResult { Implicit: false } result) continue;
                foreach (var token in result.Tokens)
                    if (Full(token.Value) is { } given && (target == given || target.StartsWith(given.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
                        return o.Name;
            }
            return null;
        }

        private static string? Full(string path)
        {
            if (path.Length == 0) return null;
            try { return Path.GetFullPath(path); }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return null; }
        }
    }
}
