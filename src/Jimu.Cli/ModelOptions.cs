using System.CommandLine;
using Jimu.Models;

namespace Jimu.Cli;

/// <summary>--model FILE and --arch NAME|FILE, as eval, predict and summary take them.</summary>
public static class ModelOptions
{
    public static Option<string> Model() => new("--model") { Description = "Model file (.safetensors).", Required = true };

    public static Option<string?> Arch() => new("--arch")
    {
        Description = "Architecture (mnist-tf, lenet5 or a JSON file); needed for a PyTorch state_dict, overrides the one stored in a Jimu model file.",
    };

    public static Model Load(ParseResult r, Option<string> model, Option<string?> arch)
    {
        string path = r.GetValue(model)!;
        return Jimu.Models.Model.Load(path, r.GetValue(arch) is { } a ? Architecture.Resolve(a) : null);
    }
}
