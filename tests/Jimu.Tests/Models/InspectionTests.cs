using Jimu.Data;
using Jimu.Models;
using Jimu.Tensors;

namespace Jimu.Tests.Models;

public class InspectionTests
{
    [Fact]
    public void Inspect_KeepsEveryConvolutionAndPredictsAsPredict()
    {
        var model = Model.Create(Architecture.Resolve("lenet5"), seed: 3);
        model.Normalization = new Normalization([0.1307f], [0.3081f]);
        var rng = new Random(5);
        var image = Enumerable.Range(0, 784).Select(_ => (float)rng.NextDouble()).ToArray();

        var inspection = model.Inspect(image);
        var prediction = model.Predict(new Tensor(image, 1, 1, 28, 28))[0];
        Assert.Equal(prediction.Logits, inspection.Prediction.Logits);
        Assert.Equal(prediction.Class, inspection.Prediction.Class);

        Assert.Equal(["conv1", "conv2"], inspection.Convolutions.Select(c => c.Layer));
        Assert.Equal((6, 28, 28), (inspection.Convolutions[0].Channels, inspection.Convolutions[0].Height, inspection.Convolutions[0].Width));
        Assert.Equal((16, 10, 10), (inspection.Convolutions[1].Channels, inspection.Convolutions[1].Height, inspection.Convolutions[1].Width));

        // conv1's maps are conv1 applied to the normalised image, computed here by a fresh copy of the layer.
        var twin = Model.Create(Architecture.Resolve("lenet5"), seed: 3);
        var x = new Tensor(image.Select(v => (v - 0.1307f) / 0.3081f).ToArray(), 1, 1, 28, 28);
        var conv1 = twin.Network.Layers[0].Forward(x).Span.ToArray();
        Assert.All(conv1.Zip(inspection.Convolutions[0].Values), p => Assert.Equal(p.First, p.Second, 1e-5f));

        var filters = Assert.IsType<FeatureMaps>(inspection.Filters);
        Assert.Equal(model.Network.Parameter("conv1.weight").Value.Span.ToArray(), filters.Values);
        Assert.Equal(filters.Values.AsSpan(25, 25).ToArray(), filters.Map(1).ToArray());
    }

    [Fact]
    public void FirstFilters_AveragesInputChannels()
    {
        var arch = new ArchitectureBuilder("rgb", channels: 3, height: 8, width: 8).Conv2D(2, kernel: 3).Flatten().Linear(2).Build();
        var model = Model.Create(arch, seed: 1);
        var w = model.Network.Parameter("conv1.weight").Value.Span.ToArray(); // [2, 3, 3, 3]
        var filters = Inspection.FirstFilters(model.Network)!;
        Assert.Equal((2, 3, 3), (filters.Channels, filters.Height, filters.Width));
        for (int f = 0; f < 2; f++)
            for (int k = 0; k < 9; k++)
                Assert.Equal((w[(f * 3 + 0) * 9 + k] + w[(f * 3 + 1) * 9 + k] + w[(f * 3 + 2) * 9 + k]) / 3, filters.Values[f * 9 + k], 1e-6f);
        Assert.Throws<ShapeException>(() => model.Inspect(new float[5]));
    }
}
