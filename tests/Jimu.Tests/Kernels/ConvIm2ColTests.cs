using Jimu.Kernels;
using Jimu.Layers;

namespace Jimu.Tests.Kernels;

/// <summary>The threaded splits of the im2col convolution give the single-threaded numbers.</summary>
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
}
