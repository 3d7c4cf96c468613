using System.CommandLine;
using System.Globalization;
using Jimu.Models;
using Jimu.Tensors;
using Spectre.Console;

namespace Jimu.Cli.Commands;

/// <summary>`jimu summary`: the layer table of a model or architecture.</summary>
public static class SummaryCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model file (.safetensors or .onnx)." };
        var arch = ModelOptions.Arch();
        var cmd = new Command("summary", "Show a model's layers with output shapes and parameter counts (give --model, --arch, or both).") { model, arch };
        cmd.SetAction(r =>
        {
            string? modelPath = r.GetValue(model), archName = r.GetValue(arch);
            if (modelPath is null && archName is null) throw new CommandLineException("Give --model FILE or --arch NAME|FILE.json.");
            var a = archName is null ? null : Architecture.Resolve(archName);
            var net = modelPath is not null ? ModelOptions.Load(modelPath, a).Network : a!.Build();
            var name = modelPath ?? a!.Name;
            var table = new Table().Title(Markup.Escape(name)).AddColumns("layer", "type", "output shape", "parameters");
            table.Columns[3].RightAligned();
            table.AddRow("input", "", Markup.Escape(Tensor.Format([-1, .. net.InputShape]).Replace("-1", "N")), "");
            for (int i = 0; i < net.Layers.Count; i++)
            {
                var layer = net.Layers[i];
                var shape = net.ShapeAfter(i + 1, 1);
                long count = layer.Parameters.Sum(p => (long)p.Value.Length);
                table.AddRow(Markup.Escape(layer.Name), Markup.Escape(layer.Describe()),
                    Markup.Escape("[N, " + string.Join(", ", shape[1..]) + "]"), count.ToString("N0", CultureInfo.InvariantCulture));
            }
            table.AddRow("total", "", "", net.ParameterCount.ToString("N0", CultureInfo.InvariantCulture));
            AnsiConsole.Console.Write(table);
            return 0;
        });
        return cmd;
    }
}
