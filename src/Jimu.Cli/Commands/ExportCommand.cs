using System.CommandLine;
using Jimu.Models;
using Jimu.Onnx;

namespace Jimu.Cli.Commands;

/// <summary>`jimu export`: a model file in another format (ONNX for ONNX Runtime; a Jimu .safetensors file from ONNX).</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model();
        var arch = ModelOptions.Arch();
        var format = new Option<string>("--format")
        {
            Description = "onnx (opset 17, for ONNX Runtime and other ONNX consumers) or safetensors (a Jimu model file).",
            Required = true,
        };
        format.AcceptOnlyFromAmong("onnx", "safetensors");
        var output = new Option<string?>("--out") { Description = "Output file (default: the model's path with the format's extension)." };
        var cmd = new Command("export", "Write a model in another format: ONNX for deployment, or an imported ONNX model as a Jimu .safetensors file.") { model, arch, format, output };
        cmd.SetAction(r =>
        {
            string path = r.GetValue(model)!;
            string kind = r.GetValue(format)!;
            string extension = kind == "onnx" ? ".onnx" : ".safetensors";
            string outPath = r.GetValue(output) ?? Path.ChangeExtension(path, extension);
            if (Path.GetFullPath(outPath) == Path.GetFullPath(path))
                throw new CommandLineException($"--out '{outPath}' is the model file itself; choose another output path.");
            Model m = ModelOptions.Load(r, model, arch);
            if (kind == "onnx") m.ExportOnnx(outPath);
            else m.Save(outPath);
            Console.Out.WriteLine($"wrote {outPath} ({m.Architecture.Name}, {m.Network.ParameterCount:N0} parameters, {kind})");
            return 0;
        });
        return cmd;
    }
}
