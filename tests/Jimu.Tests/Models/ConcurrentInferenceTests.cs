using Jimu.Data;
using Jimu.Layers;
using Jimu.Models;
using Jimu.Tensors;

namespace Jimu.Tests.Models;

/// <summary>
/// <see cref="Model.Predict"/> and <see cref="Model.Evaluate"/> from many threads at once on one model: every result
/// equal bit for bit to what a lone call gives.
/// </summary>
public class ConcurrentInferenceTests
{
    private const int Threads = 16, PredictionsPerThread = 500;

    private static Tensor Images(int count, int seed)
    {
        var rng = new Random(seed);
        var x = new Tensor(count, 1, 28, 28);
        for (int i = 0; i < x.Length; i++) x.Data[i] = rng.NextSingle();
        return x;
    }

    private static Tensor One(Tensor images, int i) => new(images.Sample(i).ToArray(), 1, 1, 28, 28);

    /// <summary>mnist-tf (Winograd, vectorised first layer, fused ReLU-pool, dropout) and a network with every other layer type.</summary>
    public static TheoryData<string> Networks => ["mnist-tf", "mixed"];

    private static Model Create(string name)
    {
        if (name == "mnist-tf") return Model.Create(BuiltIns.TryGet("mnist-tf")!, seed: 5);
        var arch = new ArchitectureBuilder("mixed", channels: 1, height: 28, width: 28)
            .Conv2D(6, kernel: 3, padding: Padding.Same).BatchNorm().LeakyRelu(0.1).AvgPool(2)
            .Conv2D(8, kernel: 5, padding: Padding.Same).Sigmoid().MaxPool(2)
            .Conv2D(8, kernel: 3).Tanh().GlobalAvgPool().BatchNorm().Linear(16).Relu().Dropout(0.3).Linear(10)
            .Build();
        var model = Model.Create(arch, seed: 5);
        // Running statistics away from (0, 1), so that evaluation-mode batch norm does something.
        var rng = new Random(9);
        foreach (var layer in model.Network.Layers.OfType<BatchNorm>())
            for (int c = 0; c < layer.Channels; c++)
            {
                layer.RunningMean.Data[c] = rng.NextSingle() - 0.5f;
                layer.RunningVar.Data[c] = 0.5f + rng.NextSingle();
            }
        model.Normalization = new Normalization([0.13f], [0.31f]);
        return model;
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Predict_From16ThreadsAtOnce_EqualsTheSequentialResults_BitForBit(string network)
    {
        var model = Create(network);
        const int distinct = 40;
        var images = Images(distinct, seed: 3);
        // The sequential reference: one image at a time, and a batch of 7 (another batch size, another code path).
        var expected = Enumerable.Range(0, distinct).Select(i => model.Predict(One(images, i))[0].Logits).ToArray();
        var batch = new Tensor(images.Data.AsSpan(0, 7 * 784).ToArray(), 7, 1, 28, 28);
        var expectedBatch = model.Predict(batch).Select(p => p.Logits).ToArray();

        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var start = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (int k = 0; k < PredictionsPerThread; k++)
            {
                if (k % 50 == 49)
                {
                    var got = model.Predict(batch);
                    for (int i = 0; i < got.Length; i++)
                        if (!got[i].Logits.AsSpan().SequenceEqual(expectedBatch[i])) failures.Enqueue($"thread {t}, call {k}: batch image {i} differs");
                    continue;
                }
                int index = (t * 7 + k) % distinct;
                var p = model.Predict(One(images, index))[0];
                if (!p.Logits.AsSpan().SequenceEqual(expected[index])) failures.Enqueue($"thread {t}, call {k}: image {index} differs");
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(failures);
    }

    [Fact]
    public void Evaluate_FromSeveralThreadsAtOnce_EqualsTheSequentialResult()
    {
        var model = Create("mixed");
        var images = Images(300, seed: 4);
        var labels = Enumerable.Range(0, 300).Select(i => i % 10).ToArray();
        var data = new Dataset(images, labels, 10);
        var expected = model.Evaluate(data, batchSize: 64);
        var results = new Jimu.Training.Evaluation[8];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = results.Length },
            i => results[i] = model.Evaluate(data, batchSize: 64));
        foreach (var r in results)
        {
            Assert.Equal(expected.Loss, r.Loss);
            Assert.Equal(expected.Accuracy, r.Accuracy);
        }
    }

    [Fact]
    public void Predict_SeesWeightsChangedAfterItsFirstCall()
    {
        var model = Create("mixed");
        var x = One(Images(1, seed: 6), 0);
        var before = model.Predict(x)[0].Logits;
        model.Network.Parameter("fc2.bias").Value.Data[3] += 1;
        model.Network.Parameter("fc2.bias").MarkChanged();
        var after = model.Predict(x)[0].Logits;
        Assert.Equal(before[3] + 1, after[3], 5);
        Assert.Equal(before[0], after[0]);
    }

    /// <summary>A fresh model holding copies of <paramref name="model"/>'s current weights and buffers: no cache of its own yet.</summary>
    private static Model Snapshot(Model model)
    {
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (name, p) in model.Network.Parameters) tensors[name] = p.Value.Clone();
        foreach (var (name, b) in model.Network.Buffers)
            tensors[name] = b.Value?.Clone() ?? new Tensor([.. b.Int64!.Select(v => (float)v)], b.Shape);
        var copy = Model.FromWeights(model.Architecture, tensors);
        copy.Normalization = model.Normalization;
        return copy;
    }

    [Theory]
    [InlineData("mnist-tf")]
    [InlineData("mnist-tf-bn")]
    public void Predict_BetweenTrainingSteps_SeesEachStepsWeights(string name)
    {
        // Winograd's cached transform (mnist-tf's conv2) and the folded BatchNorms (mnist-tf-bn) are remade from the
        // weights' versions: after every optimizer step Predict gives what a model fresh from those weights gives.
        var arch = BuiltIns.TryGet(name)!;
        var model = Model.Create(arch, seed: 8);
        var images = Images(32, seed: 12);
        var data = new Dataset(images, [.. Enumerable.Range(0, 32).Select(i => i % 10)], 10);
        var probe = new Tensor(images.Data.AsSpan(0, 3 * 784).ToArray(), 3, 1, 28, 28);
        var seen = new List<float[]>();
        void Check()
        {
            var got = model.Predict(probe);
            using var fresh = Snapshot(model);
            var expected = fresh.Predict(probe);
            for (int i = 0; i < got.Length; i++) Assert.Equal(expected[i].Logits, got[i].Logits);
            seen.Add(got[0].Logits);
        }
        Check();
        model.Fit(data, data, new Jimu.Training.OptimizerSettings { Kind = Jimu.Training.OptimizerKind.Sgd, LearningRate = 0.05f, Momentum = 0.9f },
            new Jimu.Training.TrainingOptions { Epochs = 2, BatchSize = 16, Seed = 3 }, onStep: _ => Check(), onEpoch: _ => Check());
        Assert.True(seen.Count >= 7, $"{seen.Count} checks");
        Assert.NotEqual(seen[0], seen[^1]);
    }
}
