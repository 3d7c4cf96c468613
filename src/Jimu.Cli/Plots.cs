using System.Globalization;
using Jimu.Training;
using ScottPlot;

namespace Jimu.Cli;

/// <summary>
/// The PNG pictures the CLI draws with ScottPlot: training curves, a confusion heat map, and grids of small
/// grey images (filters, feature maps). Every file is written atomically.
/// </summary>
public static class Plots
{
    static Plots()
    {
        // A sans-serif face that Debian and most Linux machines have; ScottPlot falls back to its own otherwise.
        if (SkiaSharp.SKFontManager.Default.MatchFamily("DejaVu Sans") is { } face && face.FamilyName == "DejaVu Sans")
            Fonts.Default = "DejaVu Sans";
    }

    /// <summary>Loss (left) and accuracy (right) per epoch, train and test.</summary>
    public static void Training(IReadOnlyList<EpochResult> epochs, string title, string path)
    {
        double[] x = epochs.Select(e => (double)e.Epoch).ToArray();
        var loss = new Plot();
        Line(loss, x, epochs.Select(e => e.TrainLoss), "train", Colors.C0);
        if (epochs.Any(e => double.IsFinite(e.TestLoss))) Line(loss, x, epochs.Select(e => e.TestLoss), "test", Colors.C1);
        loss.Title("loss");
        loss.XLabel("epoch");
        loss.ShowLegend(Alignment.UpperRight);

        var accuracy = new Plot();
        Line(accuracy, x, epochs.Select(e => e.TrainAccuracy * 100), "train", Colors.C0);
        if (epochs.Any(e => double.IsFinite(e.TestAccuracy))) Line(accuracy, x, epochs.Select(e => e.TestAccuracy * 100), "test", Colors.C1);
        accuracy.Title("accuracy (%)");
        accuracy.XLabel("epoch");
        accuracy.ShowLegend(Alignment.LowerRight);
        foreach (var p in new[] { loss, accuracy })
        {
            // Whole epochs only: no tick at 1.5.
            p.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
            if (x.Length == 1) p.Axes.SetLimitsX(0.5, 1.5);
        }

        var multi = new Multiplot(loss);
        multi.AddPlot(accuracy);
        multi.Layout = new ScottPlot.MultiplotLayouts.Columns();
        loss.Axes.Title.Label.Text = $"{title}: loss";
        Save(path, () => multi.Render(1000, 420));
    }

    private static void Line(Plot plot, double[] x, IEnumerable<double> y, string label, Color color)
    {
        var s = plot.Add.Scatter(x, y.ToArray(), color);
        s.LegendText = label;
        s.LineWidth = 2;
        s.MarkerSize = 6;
    }

    /// <summary>Confusion matrix heat map: rows true class, columns predicted, counts written in the cells.</summary>
    public static void Confusion(int[][] confusion, IReadOnlyList<string> classNames, string title, string path)
    {
        int k = confusion.Length;
        var share = new double[k, k]; // each row as a share of its class, so that rare classes show as clearly
        for (int t = 0; t < k; t++)
        {
            double support = Math.Max(1, confusion[t].Sum());
            for (int p = 0; p < k; p++) share[t, p] = confusion[t][p] / support;
        }
        var plot = new Plot();
        var heat = plot.Add.Heatmap(share);
        heat.Colormap = new ScottPlot.Colormaps.Viridis();
        // Row 0 of the data is drawn at the top: true class t sits at y = k − 1 − t.
        heat.Rectangle = new CoordinateRect(-0.5, k - 0.5, -0.5, k - 0.5);
        heat.ManualRange = new ScottPlot.Range(0, 1);
        for (int t = 0; t < k; t++)
            for (int p = 0; p < k; p++)
            {
                if (confusion[t][p] == 0) continue;
                var text = plot.Add.Text(confusion[t][p].ToString(CultureInfo.InvariantCulture), p, k - 1 - t);
                text.Alignment = Alignment.MiddleCenter;
                text.LabelFontSize = k > 20 ? 8 : 12;
                text.LabelFontColor = share[t, p] > 0.5 ? Colors.Black : Colors.White;
            }
        double[] ticks = Enumerable.Range(0, k).Select(i => (double)i).ToArray();
        string[] names = Enumerable.Range(0, k).Select(i => i < classNames.Count ? classNames[i] : i.ToString(CultureInfo.InvariantCulture)).ToArray();
        plot.Axes.Bottom.SetTicks(ticks, names);
        plot.Axes.Left.SetTicks(ticks.Select(t => k - 1 - t).ToArray(), names);
        if (names.Any(n => n.Length > 3)) plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = names.Any(n => n.Length > 3) ? Alignment.MiddleLeft : Alignment.UpperCenter;
        plot.Axes.SetLimits(-0.5, k - 0.5, -0.5, k - 0.5);
        plot.XLabel("predicted");
        plot.YLabel("true class");
        plot.Title(title);
        plot.Add.ColorBar(heat).Label = "share of the true class";
        plot.HideGrid();
        Save(path, () => plot.GetImage(760, 680));
    }

    /// <summary>
    /// Small grey images in a grid, each scaled to its own range (black: its minimum, white: its maximum), or to
    /// [0, 1] with <paramref name="unitRange"/>, drawn with square pixels and titled underneath with <paramref name="labels"/>.
    /// </summary>
    public static void Grid(IReadOnlyList<float[]> images, int height, int width, IReadOnlyList<string> labels, string title, string path, bool unitRange = false)
    {
        int n = images.Count, columns = Math.Max(1, (int)Math.Ceiling(Math.Sqrt(n * 1.6))), rows = (n + columns - 1) / columns;
        const double gap = 0.25, caption = 0.3;
        var plot = new Plot();
        for (int i = 0; i < n; i++)
        {
            var cells = new double[height, width];
            for (int y = 0; y < height; y++) for (int x = 0; x < width; x++) cells[y, x] = images[i][y * width + x];
            var heat = plot.Add.Heatmap(cells);
            heat.Colormap = new ScottPlot.Colormaps.Grayscale();
            if (unitRange) heat.ManualRange = new ScottPlot.Range(0, 1);
            // Rows of tiles go down the y axis; the heat map draws its data's row 0 at the top of its rectangle.
            double left = i % columns * (1 + gap), top = -(i / columns) * (1 + gap + caption);
            heat.Rectangle = new CoordinateRect(left, left + 1, top - 1, top);
            if (i < labels.Count)
            {
                var text = plot.Add.Text(labels[i], left + 0.5, top - 1 - caption / 2);
                text.Alignment = Alignment.MiddleCenter;
                text.LabelFontSize = 11;
            }
        }
        plot.Axes.SetLimits(-gap, columns * (1 + gap), -rows * (1 + gap + caption), gap);
        plot.HideAxesAndGrid();
        plot.Title(title);
        int cell = Math.Clamp(900 / columns, 40, 200);
        Save(path, () => plot.GetImage(Math.Max(columns * cell + 40, 240), rows * (int)(cell * 1.3) + 70));
    }

    private static void Save(string path, Func<Image> render)
    {
        byte[] png;
        using (var image = render()) png = image.GetImageBytes(ImageFormat.Png);
        Jimu.IO.AtomicFile.Write(path, s => s.Write(png));
    }
}
