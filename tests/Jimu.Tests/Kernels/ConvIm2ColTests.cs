using Jimu.Kernels;
using Jimu.Layers;

namespace Jimu.Tests.Kernels;

/// <summary>The threaded splits of the im2col convolution give the single-threaded numbers; a 1×1 convolution is a plain GEMM.</summary>
[Collection(nameof(Jimu.Tests.Training.AllocationCollection))]
public class ConvIm2ColTests
{
    [Theory]
    [InlineData(1, 32, 64, 14, "same")]  // one image: split by input channels, then by blocks of output channels
    [InlineData(1, 3, 13, 9, "valid")]   // output channels not a multiple of 8
    [InlineData(5, 4, 6, 8, "1")]        // a batch: split by images
    public void Two_threads_match_one_thread_bit_for_bit(int batch, int inChannels, int outChannels, int size, string padding)
    {
        var rng = new Random(batch * 100 + outChannels);
        var x = GradientCheck.Random(rng, batch, inChannels, size, size);
        var conv = new Conv2D(inChannels, outChannels, 5, Padding.Parse(padding), algorithm: ConvAlgorithm.Im2Col);
        Jimu.Models.Initializer.Initialize(conv, rng);
        using var oneThread = new ComputeContext(1);
        using var twoThreads = new ComputeContext(2);
        conv.Context = oneThread;
        var one = conv.Forward(x).Clone();
        conv.Context = twoThreads;
        var two = conv.Forward(x).Clone();
        Assert.Equal(one.Span.ToArray(), two.Span.ToArray());
        conv.Algorithm = ConvAlgorithm.Direct;
        Assert.True(GradientCheck.MaxAbsDiff(one, conv.Forward(x)) < 1e-4);
    }

    [Theory]
    [InlineData(1)]   // one image: the product split by blocks of output channels, straight on the image
    [InlineData(7)]   // a batch
    public void Pointwise_convolution_is_a_plain_product_forward_and_backward(int batch)
    {
        var g = ConvGeometry.Create("t", 24, 7, 9, 1, 1, 1, 1, Padding.Zero);
        Assert.True(g.IsPointwise);
        Assert.False(ConvGeometry.Create("t", 24, 7, 9, 1, 1, 2, 2, Padding.Zero).IsPointwise);
        Assert.False(ConvGeometry.Create("t", 24, 7, 9, 1, 1, 1, 1, Padding.Symmetric(1)).IsPointwise);
        var rng = new Random(batch);
        var x = GradientCheck.Random(rng, batch, 24, 7, 9);
        var fast = new Conv2D(24, 20, 1, algorithm: ConvAlgorithm.Im2Col);
        var direct = new Conv2D(24, 20, 1, algorithm: ConvAlgorithm.Direct);
        Jimu.Models.Initializer.Initialize(fast, rng);
        for (int i = 0; i < fast.Parameters.Count; i++) direct.Parameters[i].Value.CopyFrom(fast.Parameters[i].Value);
        using var twoThreads = new ComputeContext(2);
        fast.Context = twoThreads;
        GradientCheck.AssertAgree(direct.Forward(x), fast.Forward(x), "y", 1e-5);
        var dy = GradientCheck.Random(rng, batch, 20, 7, 9);
        GradientCheck.AssertAgree(direct.Backward(dy)!, fast.Backward(dy)!, "dx", 1e-5);
        GradientCheck.AssertAgree(direct.Weight.Grad, fast.Weight.Grad, "dW", 1e-5);
        GradientCheck.AssertAgree(direct.Bias!.Grad, fast.Bias!.Grad, "db", 1e-5);
    }
}
