using Jimu.Kernels;
using Jimu.Layers;
using Jimu.Models;
using Jimu.Tensors;

namespace Jimu.Tests.Layers;

/// <summary>
/// A first convolution → BatchNorm → ReLU (→ 2×2 max pool) as <see cref="Sequential"/> runs it in training, the
/// convolution doing the BatchNorm's statistics and input-gradient passes (<see cref="ConvBatchNorm"/>), against the
/// same layers run one by one: forward, dW, db, dγ, dβ and the running statistics, at the width this process runs
/// (each CI leg runs another).
/// </summary>
[Collection(nameof(Jimu.Tests.Training.AllocationCollection))]
public class ConvBatchNormFusionTests
{
    private sealed record Block(Conv2D Conv, BatchNorm2d Bn, List<Layer> Layers);

    private static Block Make(int inChannels, int outChannels, int kernel, Padding padding, bool bias, bool pool, ConvAlgorithm algorithm = ConvAlgorithm.Auto)
    {
        var conv = new Conv2D(inChannels, outChannels, kernel, padding, bias: bias, algorithm: algorithm, name: "conv");
        var bn = new BatchNorm2d(outChannels, name: "bn");
        var rng = new Random(outChannels * 7 + kernel);
        Initializer.Initialize(conv, rng);
        for (int i = 0; i < outChannels; i++)
        {
            // Some γ negative: the pool's winner is then the smallest x.
            bn.Weight.Value.Data[i] = (float)((rng.NextDouble() - 0.3) * 2);
            bn.Bias.Value.Data[i] = (float)(rng.NextDouble() - 0.5);
            bn.RunningMean.Data[i] = (float)rng.NextDouble();
        }
        List<Layer> layers = pool ? [conv, bn, new Relu("relu"), new MaxPool2D(2, name: "pool")] : [conv, bn, new Relu("relu")];
        return new Block(conv, bn, layers);
    }

    private static Tensor Images(int seed, params int[] shape)
    {
        var x = GradientCheck.Random(new Random(seed), shape);
        // Off-centre inputs: the statistics' shift must keep the one pass from cancelling.
        for (int i = 0; i < x.Length; i++) x.Data[i] = x.Data[i] * 0.5f + 1.5f;
        return x;
    }

    /// <summary>Two training steps (the second sees the first's running statistics); then y, dW, db, dγ, dβ, running mean and variance.</summary>
    private static float[][] Run(Block b, Tensor x, Tensor dy, bool fused, int threads)
    {
        using var ctx = new ComputeContext(threads);
        Tensor y = null!;
        for (int step = 0; step < 2; step++)
        {
            if (fused)
            {
                var net = new Sequential(b.Layers, x.Shape[1..].ToArray()) { Context = ctx, Training = true };
                Assert.Same(b.Bn, b.Conv.FusedBatchNorm);
                y = net.Forward(x).Clone();
                // Fused wherever the convolution's algorithm can (the vectorised direct one: every leg but the scalar).
                Assert.Equal(ConvVectorized.Supports(ConvGeometry.Create("t", x.Dim(1), x.Dim(2), x.Dim(3), b.Conv.KernelH, b.Conv.KernelW, 1, 1, b.Conv.Padding)),
                    b.Conv.BatchNormFusedNow);
                net.Backward(dy);
            }
            else
            {
                var h = x;
                foreach (var l in b.Layers) { l.Context = ctx; l.Training = true; l.InputGradientRequired = l != b.Conv; h = l.Forward(h); }
                Assert.False(b.Conv.BatchNormFusedNow);
                y = h.Clone();
                Tensor? g = dy;
                for (int i = b.Layers.Count - 1; i >= 0; i--) g = b.Layers[i].Backward(g!);
                Assert.Null(g);
            }
        }
        float[] db = b.Conv.Bias is { } bias ? bias.Grad.Span.ToArray() : [];
        return [y.Span.ToArray(), b.Conv.Weight.Grad.Span.ToArray(), db, b.Bn.Weight.Grad.Span.ToArray(), b.Bn.Bias.Grad.Span.ToArray(),
            b.Bn.RunningMean.Span.ToArray(), b.Bn.RunningVar.Span.ToArray()];
    }

    private static readonly string[] Names = ["y", "dW", "db", "dgamma", "dbeta", "running_mean", "running_var"];

    /// <summary>
    /// |expected − actual| ≤ relative × the largest |expected|. The conv's db through BatchNorm is Σdx = 0 up to
    /// rounding, so it is measured against dW's scale (the same dx times the inputs).
    /// </summary>
    private static void AssertAll(float[][] expected, float[][] actual, double relative)
    {
        for (int i = 0; i < expected.Length; i++) AssertClose(expected[i], actual[i], relative, Names[i], i == 2 ? expected[1] : expected[i]);
    }

    private static void AssertClose(float[] expected, float[] actual, double relative, string what, float[] scaleOf)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = scaleOf.Length == 0 ? 0 : Math.Max(1e-6, scaleOf.Max(v => Math.Abs((double)v)));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * scale,
                $"{what}[{i}]: fused {actual[i]:G9}, layer by layer {expected[i]:G9} (scale {scale:G3}).");
    }

    public static TheoryData<int, int, int, int, int, int, int, bool, bool> Shapes => new()
    {
        // N, C, O, H, W, kernel, padding, bias, pool
        { 8, 3, 32, 16, 16, 3, 1, false, false },  // bn-cnn's first block (RGB, 3×3)
        { 8, 1, 32, 28, 28, 5, 2, false, true },   // mnist-tf-bn's (5×5, pooled; rows of 28: a part vector)
        { 3, 2, 13, 9, 37, 3, 1, true, false },    // a bias, ragged rows, 13 channels: a part group of 8
        { 5, 1, 10, 7, 9, 3, 1, true, true },      // odd sizes: a row and a column no window covers
        { 1, 3, 8, 12, 12, 3, 1, false, true },    // one image
    };

    [Theory, MemberData(nameof(Shapes))]
    public void Fused_agrees_with_the_layers_one_by_one(int n, int c, int o, int h, int w, int kernel, int pad, bool bias, bool pool)
    {
        var x = Images(1, n, c, h, w);
        var a = Make(c, o, kernel, Padding.Symmetric(pad), bias, pool);
        var b = Make(c, o, kernel, Padding.Symmetric(pad), bias, pool);
        var shape = a.Layers.Aggregate((int[])[n, c, h, w], (s, l) => l.OutputShape(s));
        var dy = GradientCheck.Random(new Random(2), shape);
        var expected = Run(a, x, dy, fused: false, threads: 1);
        var actual = Run(b, x, dy, fused: true, threads: 2);
        AssertAll(expected, actual, 1e-5);
    }

    /// <summary>The fused block against the reference loops (the direct convolution, layer by layer): an independent algorithm.</summary>
    [Fact]
    public void Fused_agrees_with_the_direct_convolution()
    {
        var x = Images(3, 4, 3, 14, 14);
        var a = Make(3, 16, 3, Padding.Symmetric(1), bias: true, pool: true, ConvAlgorithm.Direct);
        var b = Make(3, 16, 3, Padding.Symmetric(1), bias: true, pool: true);
        var dy = GradientCheck.Random(new Random(4), 4, 16, 7, 7);
        var expected = Run(a, x, dy, fused: false, threads: 1);
        var actual = Run(b, x, dy, fused: true, threads: 2);
        AssertAll(expected, actual, 1e-4);
    }

    /// <summary>
    /// The statistics are summed per plane and added up in sample order: y, dγ, dβ and the running statistics are the
    /// same bits for any thread count (dW, summed per thread's part, as the unfused convolution's, is close).
    /// </summary>
    [Fact]
    public void One_and_two_threads_give_the_same_bits()
    {
        var x = Images(5, 6, 1, 28, 28);
        var dy = GradientCheck.Random(new Random(6), 6, 8, 14, 14);
        var one = Run(Make(1, 8, 5, Padding.Symmetric(2), false, true), x, dy, fused: true, threads: 1);
        var two = Run(Make(1, 8, 5, Padding.Symmetric(2), false, true), x, dy, fused: true, threads: 2);
        foreach (int i in new[] { 0, 3, 4, 5, 6 }) Assert.Equal(one[i], two[i]);
        AssertClose(one[1], two[1], 1e-5, "dW", one[1]);
    }

    [Fact]
    public void Only_a_first_convolution_before_BatchNorm_and_ReLU_in_training_is_fused()
    {
        var first = new Conv2D(1, 4, 3, Padding.Symmetric(1), name: "c1");
        var second = new Conv2D(4, 4, 3, Padding.Symmetric(1), name: "c2");
        var noRelu = new Conv2D(4, 4, 3, Padding.Symmetric(1), name: "c3");
        var bn1 = new BatchNorm2d(4, name: "bn1");
        var net = new Sequential([first, bn1, new Relu("r1"), second, new BatchNorm2d(4, name: "bn2"), new Relu("r2"), noRelu, new BatchNorm2d(4, name: "bn3")], [1, 6, 6]);
        Assert.Same(bn1, first.FusedBatchNorm);
        Assert.Null(second.FusedBatchNorm); // it needs an input gradient
        Assert.Null(noRelu.FusedBatchNorm);
        // In evaluation the BatchNorm uses its running statistics: nothing to sum.
        net.Training = false;
        var x = Images(7, 2, 1, 6, 6);
        var evaluation = net.Forward(x).Clone();
        Assert.False(first.BatchNormFusedNow);
        var alone = x;
        foreach (var l in net.Layers) alone = l.Forward(alone);
        Assert.Equal(alone.Span.ToArray(), evaluation.Span.ToArray());
    }

    [Fact]
    public void A_fused_training_step_allocates_nothing()
    {
        var b = Make(3, 16, 3, Padding.Symmetric(1), bias: false, pool: false);
        using var ctx = new ComputeContext(2);
        var net = new Sequential(b.Layers, [3, 16, 16]) { Context = ctx, Training = true };
        var x = Images(8, 8, 3, 16, 16);
        var dy = GradientCheck.Random(new Random(9), 8, 16, 16, 16);
        for (int i = 0; i < 3; i++) { net.Forward(x); net.Backward(dy); }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++) { net.Forward(x); net.Backward(dy); }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
