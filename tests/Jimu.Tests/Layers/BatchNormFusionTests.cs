using Jimu.Kernels;
using Jimu.Layers;
using Jimu.Models;
using Jimu.Tensors;

namespace Jimu.Tests.Layers;

/// <summary>
/// BatchNorm → ReLU (→ 2×2 max pool) as <see cref="Sequential"/> runs it, fused (<see cref="BatchNormRelu"/>,
/// <see cref="BatchNormReluPool"/>), against the same layers run one by one, and by finite differences.
/// </summary>
public class BatchNormFusionTests
{
    private static Tensor Input(int seed, params int[] shape)
    {
        var x = GradientCheck.Random(new Random(seed), shape);
        for (int i = 0; i < x.Length; i++) x.Data[i] = x.Data[i] * 2 + 0.3f;
        return x;
    }

    private static void SetAffine(BatchNorm bn, int seed)
    {
        var rng = new Random(seed);
        for (int i = 0; i < bn.Channels; i++)
        {
            // Some γ negative: the pool's winner is then the smallest x.
            bn.Weight.Value.Data[i] = (float)((rng.NextDouble() - 0.3) * 2);
            bn.Bias.Value.Data[i] = (float)(rng.NextDouble() - 0.5);
        }
    }

    /// <summary>The layers after a BatchNorm: a ReLU, then a 2×2 max pool or nothing.</summary>
    private static List<Layer> Chain(BatchNorm bn, bool pool) =>
        pool ? [bn, new Relu("relu"), new MaxPool2D(2, name: "pool")] : [bn, new Relu("relu")];

    /// <summary>y, dx, dγ, dβ and the running statistics after a forward and a backward pass.</summary>
    private static float[][] Run(IReadOnlyList<Layer> layers, Tensor x, Tensor dy, bool fused, int threads, bool training)
    {
        using var ctx = new ComputeContext(threads);
        var bn = (BatchNorm)layers[0];
        Tensor y;
        Tensor? dx;
        if (fused)
        {
            var net = new Sequential(layers, x.Shape[1..].ToArray()) { Context = ctx, Training = training };
            Assert.Contains(bn, net.Steps);
            Assert.DoesNotContain(layers[1], net.Steps); // the ReLU runs inside
            bn.InputGradientRequired = true;
            y = net.Forward(x).Clone();
            dx = bn.Backward(layers.Count == 3 ? layers[2].Backward(dy)! : dy);
        }
        else
        {
            var h = x;
            foreach (var l in layers) { l.Context = ctx; l.Training = training; l.InputGradientRequired = true; h = l.Forward(h); }
            y = h.Clone();
            var g = dy;
            for (int i = layers.Count - 1; i >= 0; i--) g = layers[i].Backward(g)!;
            dx = g;
        }
        return [y.Span.ToArray(), dx!.Span.ToArray(), bn.Weight.Grad.Span.ToArray(), bn.Bias.Grad.Span.ToArray(),
            bn.RunningMean.Span.ToArray(), bn.RunningVar.Span.ToArray()];
    }

    private static void AssertClose(float[] expected, float[] actual, double relative, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1e-6, expected.Max(v => Math.Abs((double)v)));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * scale,
                $"{what}[{i}]: fused {actual[i]:G9}, layer by layer {expected[i]:G9} (scale {scale:G3}).");
    }

    public static TheoryData<int, int, int, int, bool> Shapes => new()
    {
        // N, C, H, W, pool
        { 4, 3, 8, 8, true },      // 4 windows a row: one at a time (gathers where the plane has 8), one thread
        { 8, 16, 28, 28, true },   // 14 a row: the AVX-512 row passes, threads
        { 16, 8, 14, 14, true },   // 7 a row: gathers
        { 2, 4, 33, 34, true },    // odd height: a row no window covers; 17 windows a row
        { 3, 2, 9, 7, true },      // odd both ways
        { 6, 5, 7, 9, false },
        { 8, 16, 20, 20, false },  // threads
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Fused_AgreesWithTheLayersOneByOne(int n, int c, int h, int w, bool pool)
    {
        var x = Input(1, n, c, h, w);
        foreach (bool training in new[] { true, false })
        {
            var a = new BatchNorm2d(c, name: "bn");
            var b = new BatchNorm2d(c, name: "bn");
            SetAffine(a, 2); SetAffine(b, 2);
            var la = Chain(a, pool);
            var lb = Chain(b, pool);
            var dy = Input(3, la.Aggregate((int[])[n, c, h, w], (s, l) => l.OutputShape(s)));
            var expected = Run(la, x, dy, fused: false, threads: 1, training);
            var actual = Run(lb, x, dy, fused: true, threads: 2, training);
            Assert.Equal(expected[0], actual[0]); // the forward pass: the same FMA, ReLU and maximum, bit for bit
            string[] names = ["y", "dx", "dgamma", "dbeta", "running_mean", "running_var"];
            for (int i = 1; i < expected.Length; i++) AssertClose(expected[i], actual[i], 1e-5, $"{names[i]} (training {training})");
        }
    }

    [Fact]
    public void Fused_OneAndTwoThreads_GiveTheSameBits()
    {
        var x = Input(4, 8, 16, 28, 28);
        var dy = Input(5, 8, 16, 14, 14);
        float[][] Once(int threads)
        {
            var bn = new BatchNorm2d(16, name: "bn");
            SetAffine(bn, 6);
            return Run(Chain(bn, pool: true), x, dy, fused: true, threads, training: true);
        }
        var one = Once(1);
        var two = Once(2);
        for (int i = 0; i < one.Length; i++) Assert.Equal(one[i], two[i]);
    }

    [Fact]
    public void BatchNorm1d_ThenRelu_AgreesWithTheLayersOneByOne()
    {
        var x = Input(7, 32, 24);
        var dy = Input(8, 32, 24);
        var a = new BatchNorm1d(24, name: "bn");
        var b = new BatchNorm1d(24, name: "bn");
        SetAffine(a, 9); SetAffine(b, 9);
        var expected = Run(Chain(a, false), x, dy, fused: false, threads: 1, training: true);
        var actual = Run(Chain(b, false), x, dy, fused: true, threads: 1, training: true);
        Assert.Equal(expected[0], actual[0]);
        for (int i = 1; i < expected.Length; i++) AssertClose(expected[i], actual[i], 1e-5, $"output {i}");
    }

    /// <summary>Layers as one, for the finite-difference check: the given steps forwards, then backwards.</summary>
    private sealed class Steps(IReadOnlyList<Layer> steps, IReadOnlyList<Parameter> parameters) : Layer("steps")
    {
        public override IReadOnlyList<Parameter> Parameters => parameters;
        public override int[] OutputShape(ReadOnlySpan<int> inputShape) => throw new NotSupportedException();
        public override Tensor Forward(Tensor input)
        {
            foreach (var s in steps) input = s.Forward(input);
            return input;
        }
        public override Tensor? Backward(Tensor outputGradient)
        {
            Tensor? g = outputGradient;
            for (int i = steps.Count - 1; i >= 0; i--) g = steps[i].Backward(g!);
            return g;
        }
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void FiniteDifferences(bool pool, bool fused)
    {
        var bn = new BatchNorm2d(3, name: "bn");
        SetAffine(bn, 11);
        var layers = Chain(bn, pool);
        IReadOnlyList<Layer> steps = layers;
        if (fused)
        {
            var net = new Sequential(layers, [3, 4, 6]);
            Assert.DoesNotContain(layers[1], net.Steps);
            steps = net.Steps;
        }
        foreach (var l in layers) l.InputGradientRequired = true;
        // Few values, a small step: a step that crosses a ReLU kink or swaps a window's maximum (where the slope
        // jumps and central differences are wrong, fused or not) is unlikely.
        var x = Input(12, 2, 3, 4, 6);
        GradientCheck.Check(new Steps(steps, bn.Parameters), x, h: 1e-3f);
    }
}
