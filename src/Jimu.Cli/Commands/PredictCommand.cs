using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Jimu.Tensors;

namespace Jimu.Cli.Commands;

/// <summary>`jimu predict`: classifies PNG, JPEG or IDX images.</summary>
public static class PredictCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model();
        var arch = ModelOptions.Arch();
        var inputs = new Argument<string[]>("INPUT") { Description = "PNG or JPEG images, or IDX images files (every image in them).", Arity = ArgumentArity.OneOrMore };
        var format = new Option<string>("--format") { Description = "Output: text (class and probability), csv or json (also every logit and probability).", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "csv", "json");
        var invert = new Option<bool>("--invert") { Description = "Invert grey levels (for dark digits on a light background; MNIST is light on dark)." };
        var cmd = new Command("predict", "Classify images with a trained model. Images are turned grey and resized to the model's input by bilinear interpolation.")
        {
            model, arch, inputs, format, invert,
        };
        cmd.SetAction(r =>
        {
            CommonOptions.ApplyThreads(r);
            var m = ModelOptions.Load(r, model, arch);
            int[] shape = m.Network.InputShape;
            var items = r.GetValue(inputs)!.SelectMany(p => ImageInput.Load(p, shape[0], shape[1], shape[2], r.GetValue(invert))).ToList();
            int per = shape[0] * shape[1] * shape[2];
            var batch = new Tensor([items.Count, .. shape]);
            for (int i = 0; i < items.Count; i++) items[i].Pixels.CopyTo(batch.Data, i * per);
            var predictions = m.Predict(batch);
            var output = Console.Out;
            var inv = CultureInfo.InvariantCulture;
            switch (r.GetValue(format))
            {
                case "json":
                    // "class" is the class name when the model knows its classes, else the index (as before).
                    output.WriteLine(JsonSerializer.Serialize(predictions.Select((p, i) => new
                    {
                        input = items[i].Name,
                        index = i,
                        @class = m.Classes is null ? (object)p.Class : p.Label,
                        class_index = p.Class,
                        probability = p.Probability,
                        logits = p.Logits,
                        probabilities = p.Probabilities,
                    })));
                    break;
                case "csv":
                    int k = predictions.Length > 0 ? predictions[0].Logits.Length : 0;
                    var header = new StringBuilder("input,index,class,probability");
                    for (int c = 0; c < k; c++) header.Append(inv, $",logit_{c}");
                    for (int c = 0; c < k; c++) header.Append(inv, $",probability_{c}");
                    output.WriteLine(header);
                    for (int i = 0; i < predictions.Length; i++)
                    {
                        var p = predictions[i];
                        var line = new StringBuilder();
                        line.Append(Csv(items[i].Name)).Append(inv, $",{i},{Csv(p.Label)},{p.Probability.ToString("R", inv)}");
                        foreach (var v in p.Logits) line.Append(',').Append(v.ToString("R", inv));
                        foreach (var v in p.Probabilities) line.Append(',').Append(v.ToString("R", inv));
                        output.WriteLine(line);
                    }
                    break;
                default:
                    for (int i = 0; i < predictions.Length; i++)
                        output.WriteLine(string.Create(inv, $"{items[i].Name}: {predictions[i].Label} ({predictions[i].Probability * 100:F2}%)"));
                    break;
            }
            return 0;
        });
        return cmd;
    }

    private static string Csv(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
