using Jimu.Data;
using Jimu.Layers;
using Jimu.Models;
using Jimu.Tensors;
using Jimu.Training;

namespace Jimu.Tests.Models;

/// <summary>
/// BatchNorm folded into the convolution (or linear layer) before it, in Predict and Evaluate's inference copies:
/// the same logits as the unfolded network up to rounding, and training untouched.
/// </summary>
public class BatchNormFoldingTests
{
    private static Tensor Images(int n, int[] shape, int seed)
    {
        var rng = new Random(seed);
        var x = new Tensor([n, .. shape]);
        for (int i = 0; i < x.Length; i++) x.Data[i] = (float)rng.NextDouble();
        return x;
    }

    /// <summary>Running statistics, γ and β far from their initial 0, 1, 1, 0, so that folding has something to fold.</summary>
    private static void Perturb(Sequential network, int seed)
    {
        var rng = new Random(seed);
        foreach (var bn in network.Layers.OfType<BatchNorm>())
            for (int c = 0; c < bn.Channels; c++)
            {
                bn.RunningMean.Data[c] = (float)(rng.NextDouble() - 0.5);
                bn.RunningVar.Data[c] = (float)(0.05 + 3 * rng.NextDouble());
                bn.Weight.Value.Data[c] = (float)(0.5 + rng.NextDouble());
                bn.Bias.Value.Data[c] = (float)(rng.NextDouble() - 0.5);
                bn.MarkChanged();
            }
    }

    /// <summary>The unfolded network's logits in evaluation mode, as a copy.</summary>
    private static float[] Unfolded(Model model, Tensor x)
    {
        model.Network.Training = false;
        return model.Network.Forward(x).Span.ToArray();
    }

    private static void AgreeToRounding(float[] expected, Prediction[] predictions)
    {
        int k = predictions[0].Logits.Length;
        float scale = expected.Max(MathF.Abs);
        for (int i = 0; i < predictions.Length; i++)
        {
            for (int j = 0; j < k; j++)
                Assert.True(MathF.Abs(predictions[i].Logits[j] - expected[i * k + j]) <= 2e-5f * Math.Max(scale, 1),
                    $"image {i}, logit {j}: folded {predictions[i].Logits[j]}, unfolded {expected[i * k + j]}");
        }
    }

    [Theory]
    [InlineData("mnist-tf-bn")]
    [InlineData("bn-cnn")]
    public void FoldedLogits_EqualUnfolded_ToRounding(string name)
    {
        var arch = BuiltIns.TryGet(name)!;
        var model = Model.Create(arch, seed: 5);
        Perturb(model.Network, 6);
        var folding = BatchNormFolding.Build(arch, model.Network);
        folding.Refresh();
        // Every conv + BN pair (and mnist-tf-bn's linear + BN) is one layer now.
        Assert.DoesNotContain(folding.Network.Layers, l => l is BatchNorm);
        Assert.Equal(arch.Layers.Count() - arch.Layers.Count(l => l.Type.StartsWith("batchnorm", StringComparison.Ordinal)), folding.Network.Layers.Count);

        var x = Images(12, arch.Input, 7);
        var predictions = model.Predict(x, batchSize: 5);
        AgreeToRounding(Unfolded(model, x), predictions);
        // Evaluate runs the folded copy too: the same loss as the unfolded network.
        var data = new Dataset(x, [.. Enumerable.Range(0, 12).Select(i => i % 10)], 10);
        var e = model.Evaluate(data);
        var unfolded = Evaluator.Evaluate(model.Network, data, 256, null);
        Assert.Equal(unfolded.Loss, e.Loss, 1e-4);
        Assert.Equal(unfolded.Accuracy, e.Accuracy);
    }

    [Fact]
    public void TrainingAfterInference_IsUnaffected_AndInferenceSeesTheNewWeights()
    {
        var arch = BuiltIns.MnistTfBn;
        var x = Images(32, arch.Input, 11);
        var data = new Dataset(x, [.. Enumerable.Range(0, 32).Select(i => i % 10)], 10);
        var settings = new OptimizerSettings { Kind = OptimizerKind.Sgd, LearningRate = 0.05f, Momentum = 0.9f };
        var options = new TrainingOptions { Epochs = 1, BatchSize = 16, Seed = 3 };

        var a = Model.Create(arch, seed: 2);
        var b = Model.Create(arch, seed: 2);
        var before = a.Predict(x);
        a.Evaluate(data);
        a.Fit(data, null, settings, options);
        b.Fit(data, null, settings, options);
        foreach (var ((name, p), (_, q)) in a.Network.Parameters.Zip(b.Network.Parameters))
            Assert.True(p.Value.Span.SequenceEqual(q.Value.Span), $"{name} differs after predicting first");
        foreach (var ((name, p), (_, q)) in a.Network.Buffers.Zip(b.Network.Buffers))
            Assert.True(p.Value is null ? p.Int64!.SequenceEqual(q.Int64!) : p.Value.Span.SequenceEqual(q.Value!.Span), $"{name} differs after predicting first");

        // The next Predict folds the trained weights: it agrees with the unfolded network, not with the first answers.
        var after = a.Predict(x);
        AgreeToRounding(Unfolded(a, x), after);
        Assert.NotEqual(before[0].Logits, after[0].Logits);
        // A write straight into the network's weights shows through once MarkChanged says so.
        a.Network.Parameter("bn1.bias").Value.Data[0] += 1;
        a.Network.Parameter("bn1.bias").MarkChanged();
        AgreeToRounding(Unfolded(a, x), a.Predict(x));
    }

    [Theory]
    [InlineData("conv1.weight")]
    [InlineData("bn1.bias")]
    [InlineData("fc1.weight")]
    public void ADirectWrite_IsSeen_AfterMarkChanged_AndNotBefore(string name)
    {
        var arch = BuiltIns.MnistTfBn;
        var model = Model.Create(arch, seed: 4);
        Perturb(model.Network, 5);
        var x = Images(3, arch.Input, 6);
        var before = model.Predict(x);
        var p = model.Network.Parameter(name);
        long version = p.Version;
        for (int i = 0; i < p.Value.Length; i += 7) p.Value.Data[i] += 0.5f;
        // Documented: without MarkChanged the folded copy keeps the weights it was folded from.
        Assert.Equal(version, p.Version);
        Assert.Equal(before[0].Logits, model.Predict(x)[0].Logits);
        p.MarkChanged();
        Assert.Equal(version + 1, p.Version);
        var after = model.Predict(x);
        Assert.NotEqual(before[0].Logits, after[0].Logits);
        AgreeToRounding(Unfolded(model, x), after);
    }

    [Fact]
    public void Refresh_RecomputesOnlyWhatChanged()
    {
        var arch = BuiltIns.MnistTfBn;
        var model = Model.Create(arch, seed: 4);
        var folding = BatchNormFolding.Build(arch, model.Network);
        var conv1 = (Conv2D)folding.Network.Layers[0];
        var fc1 = folding.Network.Layers.OfType<Linear>().First();
        folding.Refresh();
        long conv1Version = conv1.Weight.Version, fc1Version = fc1.Weight.Version;
        Assert.True(conv1Version > 0 && fc1Version > 0, "the first refresh folds every pair");
        folding.Refresh();
        Assert.Equal((conv1Version, fc1Version), (conv1.Weight.Version, fc1.Weight.Version));
        // A running statistic of bn1 (conv1's BatchNorm) changes: conv1 is refolded, fc1 is not.
        var bn1 = model.Network.Layers.OfType<BatchNorm2d>().First();
        bn1.RunningVar.Data[0] = 4;
        bn1.MarkChanged();
        folding.Refresh();
        Assert.True(conv1.Weight.Version > conv1Version);
        Assert.Equal(fc1Version, fc1.Weight.Version);
        float s = (float)(1 / Math.Sqrt(4 + bn1.Eps));
        Assert.Equal(model.Network.Parameter("conv1.weight").Value.Data[0] * s, conv1.Weight.Value.Data[0], 6);
    }

    [Fact]
    public void RunningStatistics_UpdatedByTraining_AreFoldedIn()
    {
        // Learning rate 0: no weight moves, only BatchNorm's running statistics (its training pass writes them).
        var arch = BuiltIns.MnistTfBn;
        var x = Images(32, arch.Input, 11);
        var data = new Dataset(x, [.. Enumerable.Range(0, 32).Select(i => i % 10)], 10);
        var model = Model.Create(arch, seed: 2);
        var before = model.Predict(x);
        var weights = model.Network.Parameters.Select(p => p.Parameter.Value.Span.ToArray()).ToArray();
        model.Fit(data, null, new OptimizerSettings { Kind = OptimizerKind.Sgd, LearningRate = 0f }, new TrainingOptions { Epochs = 1, BatchSize = 16, Seed = 3 });
        for (int i = 0; i < weights.Length; i++) Assert.Equal(weights[i], model.Network.Parameters[i].Parameter.Value.Span.ToArray());
        var after = model.Predict(x);
        Assert.NotEqual(before[0].Logits, after[0].Logits);
        AgreeToRounding(Unfolded(model, x), after);
    }
}
