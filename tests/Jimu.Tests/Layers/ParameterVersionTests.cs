using Jimu.Layers;
using Jimu.Models;
using Jimu.Tensors;
using Jimu.Training;

namespace Jimu.Tests.Layers;

/// <summary>
/// <see cref="Parameter.Version"/> and <see cref="LayerBuffer.Version"/>: every writer in the library bumps them,
/// readers do not, and an inference copy of a network shares them with the original.
/// </summary>
public class ParameterVersionTests
{
    private static long[] Versions(Sequential network) =>
        [.. network.Parameters.Select(p => p.Parameter.Version), .. network.Buffers.Where(b => b.Buffer.Value is not null).Select(b => b.Buffer.Version)];

    private static void AllGrew(long[] before, long[] after, string by)
    {
        for (int i = 0; i < before.Length; i++) Assert.True(after[i] > before[i], $"{by}: value {i} kept version {before[i]}");
    }

    [Fact]
    public void MarkChanged_Bumps_AndReadsDoNot()
    {
        var p = new Parameter("w", 3);
        Assert.Equal(0, p.Version);
        _ = p.Value.Span[0];
        Assert.Equal(0, p.Version);
        p.MarkChanged();
        p.MarkChanged();
        Assert.Equal(2, p.Version);
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.Adam)]
    public void AnOptimizerStep_BumpsEveryParameter(OptimizerKind kind)
    {
        var model = Model.Create(BuiltIns.MnistTfBn, seed: 1);
        var optimizer = new OptimizerSettings { Kind = kind, LearningRate = 0.01f }.Create(model.Network.Parameters);
        var before = model.Network.Parameters.Select(p => p.Parameter.Version).ToArray();
        optimizer.Step();
        AllGrew(before, [.. model.Network.Parameters.Select(p => p.Parameter.Version)], $"{kind} step");
    }

    [Fact]
    public void Initialisation_Loading_AndReset_BumpEveryValue()
    {
        var network = BuiltIns.MnistTfBn.Build();
        var fresh = Versions(network);
        Initializer.Initialize(network, 3);
        var initialised = Versions(network);
        AllGrew(fresh, initialised, "Initialize");

        using var dir = new TempDirectory();
        var model = Model.Create(BuiltIns.MnistTfBn, seed: 2);
        model.Save(dir.File("m.safetensors"));
        var loadedBefore = Versions(model.Network);
        model.LoadWeightsFrom(dir.File("m.safetensors"));
        AllGrew(loadedBefore, Versions(model.Network), "LoadWeightsFrom");
        Assert.All(Versions(Model.Load(dir.File("m.safetensors")).Network), v => Assert.True(v > 0, "Load"));

        var bn = network.Layers.OfType<BatchNorm>().First();
        long weight = bn.Weight.Version, mean = bn.Buffers[0].Version;
        bn.ResetParameters();
        Assert.True(bn.Weight.Version > weight && bn.Buffers[0].Version > mean, "ResetParameters");
    }

    [Fact]
    public void BatchNormTraining_BumpsTheRunningStatistics_EvaluationDoesNot()
    {
        var bn = new BatchNorm2d(3);
        var x = GradientCheck.Random(new Random(1), 2, 3, 4, 4);
        long mean = bn.Buffers[0].Version, variance = bn.Buffers[1].Version;
        bn.Training = false;
        bn.Forward(x);
        Assert.Equal((mean, variance), (bn.Buffers[0].Version, bn.Buffers[1].Version));
        bn.Training = true;
        bn.Forward(x);
        Assert.True(bn.Buffers[0].Version > mean && bn.Buffers[1].Version > variance);
    }

    [Fact]
    public void AnInferenceCopy_SharesTheVersions()
    {
        var network = BuiltIns.MnistTfBn.Build();
        var twin = BuiltIns.MnistTfBn.Build();
        network.ShareWeightsWith(twin);
        network.Parameter("conv2.weight").MarkChanged();
        network.Layers.OfType<BatchNorm>().First().Buffers[1].MarkChanged();
        Assert.Equal(Versions(network), Versions(twin));
        Assert.Equal(1, twin.Parameter("conv2.weight").Version);
        // What is derived from the weights once for all copies (fc1's packed weights) is one object.
        Assert.Same(network.Parameter("fc1.weight").Derived<Jimu.Kernels.SparseGemvWeights>(), twin.Parameter("fc1.weight").Derived<Jimu.Kernels.SparseGemvWeights>());
        // Predicting reads the weights and leaves every version as it was.
        var model = Model.Create(BuiltIns.MnistTf, seed: 1);
        var before = Versions(model.Network);
        model.Predict(new Tensor(2, 1, 28, 28));
        Assert.Equal(before, Versions(model.Network));
    }
}
