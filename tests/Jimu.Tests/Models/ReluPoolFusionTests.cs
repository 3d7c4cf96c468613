using Jimu.Kernels;
using Jimu.Layers;
using Jimu.Models;
using Jimu.Tensors;

namespace Jimu.Tests.Models;

/// <summary>
/// A ReLU right before a max pool runs inside the pool (relu(maxpool(x)) = maxpool(relu(x))). The fused network must
/// give the same numbers, bit for bit, as the same layers run one by one.
/// </summary>
public class ReluPoolFusionTests
{
    private static List<Layer> Layers(PoolAlgorithm pool) =>
    [
        // Im2Col throughout: Auto would pick another algorithm for the network's first layer than for a loose one.
        new Conv2D(2, 4, 3, padding: 1, algorithm: ConvAlgorithm.Im2Col, name: "conv1"),
        new Relu("relu1"),
        new MaxPool2D(2, algorithm: pool, name: "pool1"),
        new Conv2D(4, 6, 3, padding: 1, algorithm: ConvAlgorithm.Im2Col, name: "conv2"),
        new Relu("relu2"),
        new MaxPool2D(3, stride: 2, padding: 1, algorithm: pool, name: "pool2"),
        new Flatten(),
        new Linear(6 * 3 * 3, 5, name: "fc"),
        new Relu("relu3"),
    ];

    [Theory]
    [InlineData(PoolAlgorithm.Direct)]
    [InlineData(PoolAlgorithm.Im2Col)]
    public void Fused_network_matches_the_layers_run_one_by_one(PoolAlgorithm pool)
    {
        var rng = new Random(5);
        var net = new Sequential(Layers(pool), [2, 11, 11]);
        var loose = Layers(pool);   // in no Sequential: every layer runs on its own
        Assert.Equal(["conv1", "pool1", "conv2", "pool2", "flatten", "fc", "relu3"], net.Steps.Select(l => l.Name));
        for (int i = 0; i < net.Layers.Count; i++)
            for (int p = 0; p < net.Layers[i].Parameters.Count; p++)
            {
                var value = net.Layers[i].Parameters[p].Value;
                for (int j = 0; j < value.Length; j++) value.Data[j] = (float)(rng.NextDouble() - 0.5);
                loose[i].Parameters[p].Value.CopyFrom(value);
            }
        // Shifted down so that whole windows are negative and the ReLU stops their gradient.
        var x = GradientCheck.Random(rng, 3, 2, 11, 11);
        for (int i = 0; i < x.Length; i++) x.Data[i] -= 0.3f;

        var y = net.Forward(x);
        var h = x;
        foreach (var layer in loose) h = layer.Forward(h);
        Assert.Equal(h.Span.ToArray(), y.Span.ToArray());

        var dy = GradientCheck.Random(rng, y.Shape.ToArray());
        net.Backward(dy);
        Tensor? g = dy;
        for (int i = loose.Count - 1; i >= 0 && g is not null; i--) g = loose[i].Backward(g);
        for (int i = 0; i < net.Layers.Count; i++)
            for (int p = 0; p < net.Layers[i].Parameters.Count; p++)
                Assert.Equal(loose[i].Parameters[p].Grad.Span.ToArray(), net.Layers[i].Parameters[p].Grad.Span.ToArray());
        Assert.Contains(net.Layers[0].Parameters[0].Grad.Span.ToArray(), v => v != 0);
    }

    [Fact]
    public void Only_a_relu_directly_before_a_max_pool_is_fused()
    {
        var net = new Sequential(
        [
            new Relu("r1"), new MaxPool2D(2, name: "max"),
            new Relu("r2"), new AvgPool2D(2, name: "avg"),
            new MaxPool2D(1, name: "max2"), new Relu("r3"),
        ], [1, 8, 8]);
        Assert.Equal(["max", "r2", "avg", "max2", "r3"], net.Steps.Select(l => l.Name));
    }

    [Fact]
    public void ReluOfMax_zeroes_non_positive_maxima_keeps_nan_and_drops_their_gradient()
    {
        // 19 values: the vector loop and the scalar tail both run.
        float[] y = [1, -1, 0, float.NaN, 2, -0f, 3, -5, 0.5f, -2, 7, float.NaN, -1, 4, 0, 1, -3, 2, -4];
        int[] argmax = Enumerable.Range(10, y.Length).ToArray();
        var expectY = y.Select(v => v > 0 || float.IsNaN(v) ? v : 0f).ToArray();
        var expectArg = y.Select((v, i) => v > 0 ? argmax[i] : -1).ToArray();
        PoolDirect.ReluOfMax(y, argmax);
        Assert.Equal(expectY, y);
        Assert.Equal(expectArg, argmax);
        Assert.Throws<ArgumentException>(() => PoolDirect.ReluOfMax(new float[3], new int[2]));
    }
}
