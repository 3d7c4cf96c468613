using System.CommandLine;
using System.Globalization;

namespace Jimu.Cli.Commands;

/// <summary>`jimu inspect`: pictures of a model's first filters and, for an image, of what every convolution makes of it.</summary>
public static class InspectCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model();
        var arch = ModelOptions.Arch();
        var image = new Argument<string?>("IMAGE") { Description = "A PNG or JPEG image (optional): also draw the input as the model sees it and the feature maps after each convolution.", Arity = ArgumentArity.ZeroOrOne };
        var output = new Option<string>("--out") { Description = "Directory for the PNGs (created if missing).", Required = true };
        var invert = PreprocessOptions.Invert();
        var preprocess = PreprocessOptions.Preprocess();
        var cmd = new Command("inspect", "Draw the first convolution's filters, and for an image the model's input and every convolution's feature maps, as PNGs.")
        {
            model, arch, image, output, invert, preprocess,
        };
        cmd.SetAction(r =>
        {
            CommonOptions.ApplyThreads(r);
            var mode = PreprocessOptions.Mode(r, preprocess, invert);
            var m = ModelOptions.Load(r, model, arch);
            string dir = r.GetValue(output)!;
            ImageInput.Item? item = null;
            int[] shape = m.Network.InputShape;
            if (r.GetValue(image) is { } path)
            {
                var items = ImageInput.Load(path, shape[0], shape[1], shape[2], r.GetValue(invert), mode);
                if (items.Count != 1) throw new CommandLineException($"{path} holds {items.Count} images; inspect takes one picture (PNG or JPEG).");
                item = items[0];
            }
            Directory.CreateDirectory(dir);
            var written = new List<string>();
            var filters = Jimu.Models.Inspection.FirstFilters(m.Network)
                ?? throw new CommandLineException($"{r.GetValue(model)}: the model has no convolution to draw; inspect draws the first convolution's filters.");
            string name = Path.Combine(dir, $"{filters.Layer}-filters.png");
            Plots.Grid(Split(filters), filters.Height, filters.Width, Numbers(filters.Channels),
                $"{m.Architecture.Name}: {filters.Layer} filters ({filters.Channels} × {filters.Height}×{filters.Width}{(shape[0] > 1 ? ", mean over input channels" : "")})", name);
            written.Add(name);
            if (item is not null)
            {
                var inspection = m.Inspect(item.Pixels);
                name = Path.Combine(dir, "input.png");
                Plots.Grid([item.Pixels[..(shape[1] * shape[2])]], shape[1], shape[2], [$"read as {m.LabelOf(inspection.Prediction.Class)} ({inspection.Prediction.Probability * 100:F1}%)"],
                    $"input {shape[1]}×{shape[2]}", name, unitRange: true);
                written.Add(name);
                foreach (var maps in inspection.Convolutions)
                {
                    name = Path.Combine(dir, $"{maps.Layer}-maps.png");
                    Plots.Grid(Split(maps), maps.Height, maps.Width, Numbers(maps.Channels),
                        $"after {maps.Layer}: {maps.Channels} feature maps of {maps.Height}×{maps.Width}", name);
                    written.Add(name);
                }
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{item.Name}: {m.LabelOf(inspection.Prediction.Class)} ({inspection.Prediction.Probability * 100:F2}%)"));
            }
            foreach (var w in written) Console.Out.WriteLine($"wrote {w}");
            return 0;
        });
        return cmd;
    }

    private static float[][] Split(Jimu.Models.FeatureMaps m) =>
        Enumerable.Range(0, m.Channels).Select(c => m.Map(c).ToArray()).ToArray();

    private static string[] Numbers(int n) => Enumerable.Range(0, n).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
}
