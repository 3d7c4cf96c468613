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
        var invert = PreprocessOptions.Invert();
        var preprocess = PreprocessOptions.Preprocess();
        var classes = new Option<string?>("--classes") { Description = "Class names, one per line in label order, to print for a model whose file has none; refused when they are not the classes the model was trained on." };
        var top = new Option<int>("--top") { Description = "Show the K most probable classes (text and json).", DefaultValueFactory = _ => 1 };
        var cmd = new Command("predict", "Classify images with a trained model. Images are turned grey and resized to the model's input by bilinear interpolation (or --preprocess mnist).")
        {
            model, arch, inputs, format, invert, preprocess, top, classes,
        };
        cmd.SetAction(r =>
        {
            CommonOptions.ApplyThreads(r);
            int k = r.GetValue(top);
            if (k < 1) throw new CommandLineException($"--top must be at least 1, got {k}.");
            var mode = PreprocessOptions.Mode(r, preprocess, invert);
            var m = ModelOptions.Load(r, model, arch);
            if (r.GetValue(classes) is { } classesFile) ModelChecks.UseClasses(m, classesFile);
            int[] shape = m.Network.InputShape;
            var items = r.GetValue(inputs)!.SelectMany(p => ImageInput.Load(p, shape[0], shape[1], shape[2], r.GetValue(invert), mode)).ToList();
            // A note per image for a few images; one line for many (an IDX file's thousands).
            var inverted = items.Where(i => mode == ImageInput.Preprocess.Mnist && i.Inverted).ToList();
            foreach (var which in Which(inverted, items.Count))
                Console.Error.WriteLine($"note: {which}: light background: inverted to light ink on dark, as MNIST.");
            var light = items.Where(i => !(mode == ImageInput.Preprocess.Mnist && i.Inverted) && i.LightBackground).ToList();
            foreach (var which in Which(light, items.Count))
                Console.Error.WriteLine($"note: {which} {(which.Contains(" of the ", StringComparison.Ordinal) ? "look" : "looks")} like dark ink on a light background, but the model reads light on dark (MNIST): pass --invert or --preprocess mnist.");
            int per = shape[0] * shape[1] * shape[2];
            var batch = new Tensor([items.Count, .. shape]);
            for (int i = 0; i < items.Count; i++) items[i].Pixels.CopyTo(batch.Data, i * per);
            foreach (var w in ModelChecks.PredictWarnings(m, items, batch)) Console.Error.WriteLine($"warning: {w}");
            var predictions = m.Predict(batch);
            var output = Console.Out;
            var inv = CultureInfo.InvariantCulture;
            switch (r.GetValue(format))
            {
                case "json":
                    output.WriteLine(JsonSerializer.Serialize(predictions.Select((p, i) => PredictionRecord.From(items[i].Name, i, p, k, m.Classes)).ToArray(), CliJson.Default.PredictionRecordArray));
                    break;
                case "csv":
                    int classes = predictions.Length > 0 ? predictions[0].Logits.Length : 0;
                    var header = new StringBuilder("input,index,class,probability");
                    for (int c = 0; c < classes; c++) header.Append(inv, $",logit_{c}");
                    for (int c = 0; c < classes; c++) header.Append(inv, $",probability_{c}");
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
                        output.WriteLine($"{items[i].Name}: " + string.Join(", ", PredictionRecord.TopOf(predictions[i], k)
                            .Select(t => string.Create(inv, $"{m.LabelOf(t.Class)} ({t.Probability * 100:F2}%)"))));
                    break;
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>Each name for up to three images, else one "N of the M images (first NAME)".</summary>
    private static IEnumerable<string> Which(List<ImageInput.Item> some, int all) =>
        some.Count <= 3 ? some.Select(i => i.Name) : [$"{some.Count:N0} of the {all:N0} images (first {some[0].Name})"];

    private static string Csv(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
