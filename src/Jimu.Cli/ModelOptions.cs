using System.CommandLine;
using Jimu.Models;
using Jimu.Onnx;

namespace Jimu.Cli;

/// <summary>--model FILE and --arch NAME|FILE, as eval, predict, summary and export take them.</summary>
public static class ModelOptions
{
    public static Option<string> Model() => new("--model") { Description = "Model file: a Jimu .safetensors file, a PyTorch state_dict in safetensors (with --arch), or an .onnx file.", Required = true };

    public static Option<string?> Arch() => new("--arch")
    {
        Description = "Architecture (mnist-tf, lenet5 or a JSON file); needed for a PyTorch state_dict, overrides the one stored in a Jimu model file.",
    };

    public static Model Load(ParseResult r, Option<string> model, Option<string?> arch) =>
        Load(r.GetValue(model)!, r.GetValue(arch) is { } a ? Architecture.Resolve(a) : null);

    /// <summary>
    /// A .safetensors model (architecture stored, or given) or an ONNX model (the graph is the architecture), on
    /// <see cref="CommonOptions.ThreadCount"/> threads.
    /// </summary>
    public static Model Load(string path, Architecture? architecture)
    {
        Model m;
        if (!OnnxImport.IsOnnxPath(path)) m = Jimu.Models.Model.Load(path, architecture);
        else if (architecture is not null)
            throw new CommandLineException($"{path}: an ONNX model defines its own architecture; leave out --arch.");
        else m = Jimu.Models.Model.LoadOnnx(path);
        m.Threads = CommonOptions.ThreadCount;
        return m;
    }

    /// <summary>Copies the weights of a model file (.safetensors or .onnx) into <paramref name="model"/> (train --init).</summary>
    public static void LoadWeights(Model model, string path)
    {
        if (OnnxImport.IsOnnxPath(path)) model.LoadWeightsFromOnnx(path);
        else model.LoadWeightsFrom(path);
    }
}
