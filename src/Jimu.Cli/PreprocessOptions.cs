using System.CommandLine;

namespace Jimu.Cli;

/// <summary>--invert and --preprocess none|mnist, as predict and inspect take them.</summary>
public static class PreprocessOptions
{
    public static Option<bool> Invert() => new("--invert") { Description = "Invert grey levels (for dark digits on a light background; MNIST is light on dark)." };

    public static Option<string> Preprocess()
    {
        var option = new Option<string>("--preprocess")
        {
            Description = "none: resize the whole picture; mnist: as MNIST was made (a light background inverted, the digit's box scaled to 20×20 and centred by its centre of mass in 28×28), for a digit drawn or photographed.",
            DefaultValueFactory = _ => "none",
        };
        option.AcceptOnlyFromAmong("none", "mnist");
        return option;
    }

    /// <summary>The chosen mode; --invert with mnist is an error (mnist inverts a light background itself).</summary>
    public static ImageInput.Preprocess Mode(ParseResult r, Option<string> preprocess, Option<bool> invert)
    {
        var mode = r.GetValue(preprocess) == "mnist" ? ImageInput.Preprocess.Mnist : ImageInput.Preprocess.None;
        if (mode == ImageInput.Preprocess.Mnist && r.GetValue(invert))
            throw new CommandLineException("--invert and --preprocess mnist cannot be used together: mnist detects a light background and inverts it itself.");
        return mode;
    }
}
