using Jimu.Layers;
using Jimu.Losses;
using Jimu.Models;
using Jimu.Tensors;

namespace Jimu.Tests.Models;

/// <summary>A downsampling network (stride-2 convolutions, as in ResNet-style blocks) on the strided fast path.</summary>
public class StridedNetworkTests
{
    /// <summary>conv 3×3/2 → BN → ReLU → conv 3×3/2 → BN → ReLU → conv 1×1/2 → global average pool → Linear, on 3×20×20.</summary>
    public static Architecture Strided { get; } = new()
    {
        Name = "strided-test",
        Input = [3, 20, 20],
        Layers =
        [
            new LayerSpec.Conv2d { Name = "conv1", OutChannels = 16, Kernel = [3], Stride = [2], Padding = 1, Bias = false },
            new LayerSpec.BatchNorm2d { Name = "bn1" },
            new LayerSpec.Relu { Name = "relu1" },
            new LayerSpec.Conv2d { Name = "conv2", OutChannels = 32, Kernel = [3], Stride = [2], Padding = 1, Bias = false },
            new LayerSpec.BatchNorm2d { Name = "bn2" },
            new LayerSpec.Relu { Name = "relu2" },
            new LayerSpec.Conv2d { Name = "conv3", OutChannels = 32, Kernel = [1], Stride = [2] },
            new LayerSpec.GlobalAvgPool2d { Name = "gap" },
            new LayerSpec.Linear { Name = "fc", OutFeatures = 10 },
        ],
    };

    [Fact]
    public void Auto_runs_the_3x3_stride2_layers_strided_and_the_whole_network_agrees_with_the_direct_loops()
    {
        using var fast = Model.Create(Strided, seed: 4);
        using var reference = Model.Create(Strided, seed: 4);
        fast.Threads = 2;
        var convs = fast.Network.Layers.OfType<Conv2D>().ToArray();
        Assert.Equal(ConvAlgorithm.Strided, convs[0].AlgorithmFor([8, 3, 20, 20]));
        Assert.Equal(ConvAlgorithm.Strided, convs[1].AlgorithmFor([8, 16, 10, 10]));
        // A 1×1 kernel at stride 2 gathers only a quarter of its input: im2col does that best.
        Assert.Equal(ConvAlgorithm.Im2Col, convs[2].AlgorithmFor([8, 32, 5, 5]));
        foreach (var c in reference.Network.Layers.OfType<Conv2D>()) c.Algorithm = ConvAlgorithm.Direct;

        var x = GradientCheck.Random(new Random(5), 8, 3, 20, 20);
        int[] labels = [.. Enumerable.Range(0, 8).Select(i => i % 10)];
        float[] Step(Model m)
        {
            var loss = new SoftmaxCrossEntropy();
            m.Network.Training = true;
            var logits = m.Network.Forward(x).Span.ToArray();
            loss.Forward(m.Network.Forward(x), labels);
            m.Network.Backward(loss.Backward());
            return [.. logits, .. m.Network.Parameters.SelectMany(p => p.Parameter.Grad.Span.ToArray())];
        }
        var a = Step(fast);
        var b = Step(reference);
        double scale = b.Max(v => Math.Abs((double)v));
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(a[i] - b[i]) <= 1e-4 * Math.Max(scale, 1), $"value {i}: strided {a[i]}, direct {b[i]}");
    }
}
