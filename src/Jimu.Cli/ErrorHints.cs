namespace Jimu.Cli;

/// <summary>
/// The library says what is wrong in its own words and carries the data (file, layer, setting); the command line adds
/// what to type. One place maps each kind of error to its option.
/// </summary>
internal static class ErrorHints
{
    /// <summary>The library's message with the command-line hint for the kind of error <paramref name="e"/> is.</summary>
    public static string Explain(Exception e) => e switch
    {
        MissingArchitectureException => With(e.Message, "pass --arch mnist-tf, lenet5 or a JSON architecture file"),
        ArchitectureMismatchException => With(e.Message, "check --arch"),
        CheckpointException => With(e.Message, "start anew with --init instead of --resume"),
        TrainingDivergedException => With(e.Message, "lower --lr"),
        ImageDecodeException => With(e.Message, "or pass --skip-bad to skip such files"),
        SettingException s when OptionOf(s.Setting) is { } option => $"{option}: {e.Message}",
        DataFormatException => With(e.Message, "check --data"),
        _ => e.Message,
    };

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
        _ => null,
    };

    /// <summary>"message (hint)."</summary>
    public static string With(string message, string hint) => $"{message.TrimEnd().TrimEnd('.')} ({hint}).";
}
