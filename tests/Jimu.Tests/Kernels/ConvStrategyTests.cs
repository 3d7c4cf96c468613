using Jimu.Kernels;
using Jimu.Layers;

namespace Jimu.Tests.Kernels;

/// <summary>
/// Every registered convolution strategy against the direct loops, on every shape below that it supports: a
/// strategy added to <see cref="ConvStrategies.All"/> is checked here without another line.
/// </summary>
public class ConvStrategyTests
{
    /// <summary>(batch, C, O, H, W, kh, kw, stride h, stride w, padding): odd sizes, strides, asymmetric padding, few and many channels.</summary>
    private static readonly (int N, int C, int O, int H, int W, int Kh, int Kw, int Sh, int Sw, Padding Pad)[] Shapes =
    [
        (2, 1, 8, 12, 12, 5, 5, 1, 1, Padding.Symmetric(2)),      // a first layer
        (3, 32, 20, 9, 11, 5, 5, 1, 1, Padding.Symmetric(2)),     // Winograd territory, ragged tiles and rows
        (1, 16, 40, 14, 14, 5, 5, 1, 1, Padding.Same),            // one image, more than 32 output channels
        (2, 6, 7, 10, 9, 5, 5, 1, 1, Padding.Zero),               // valid
        (2, 5, 9, 11, 13, 3, 3, 1, 1, Padding.Symmetric(1)),      // 3×3
        (2, 4, 6, 12, 10, 3, 3, 2, 2, Padding.Symmetric(1)),      // stride 2
        (2, 8, 5, 7, 9, 1, 1, 1, 1, Padding.Zero),                // 1×1
        (2, 3, 4, 13, 8, 3, 7, 1, 2, Padding.Same),               // rectangular kernel and stride
        (2, 3, 5, 13, 11, 5, 5, 2, 2, Padding.Symmetric(2)),      // stride 2: odd sizes, 5×5
        (2, 6, 4, 9, 10, 1, 1, 2, 2, Padding.Zero),               // stride 2: the 1×1 downsampling shortcut
        (3, 4, 5, 15, 16, 3, 3, 2, 2, Padding.Same),              // stride 2, "same": padding only after
        (1, 5, 6, 8, 8, 4, 4, 2, 2, Padding.Symmetric(1)),        // stride 2, even kernel, one image
        (2, 2, 3, 7, 7, 3, 3, 2, 2, Padding.Zero),                // stride 2, valid
        (1, 40, 9, 6, 6, 3, 3, 2, 2, Padding.Symmetric(1)),       // stride 2, one image split over channels
        (2, 3, 4, 9, 9, 2, 2, 2, 2, Padding.Symmetric(3)),        // stride 2, padding wider than the kernel: whole zero rows
    ];

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var s in ConvStrategies.All.Skip(1))
            foreach (int threads in new[] { 1, 2 }) data.Add(s.Algorithm.ToString(), threads);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_strategy_matches_the_direct_loops_where_it_supports_the_shape(string algorithm, int threads)
    {
        var strategy = ConvStrategies.All.Single(s => s.Algorithm.ToString() == algorithm);
        var direct = ConvStrategies.Direct;
        using var ctx = new ComputeContext(threads);
        var cache = new ConvCache();
        var refCache = new ConvCache();
        int tried = 0;
        foreach (var (n, c, o, h, w, kh, kw, sh, sw, pad) in Shapes)
        {
            var g = ConvGeometry.Create("conv", c, h, w, kh, kw, sh, sw, pad);
            if (!strategy.Supports(g)) continue;
            tried++;
            var rng = new Random(n * 1000 + c * 31 + o);
            float[] R(int length) { var a = new float[length]; for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1); return a; }
            float[] x = R(n * g.InSize), weight = R(o * g.PatchSize), bias = R(o), dy = R(n * o * g.OutPlane);
            string what = $"{strategy} {n}x{c}x{h}x{w} -> {o}, {kh}x{kw}/{sh}x{sw} {pad}, {threads} thread(s)";
            // Winograd's transforms scale terms up before they cancel: 1e-4 of the magnitudes; the others 1e-5.
            double tolerance = strategy.Algorithm == ConvAlgorithm.Winograd ? 1e-4 : 2e-5;

            float[] y = new float[n * o * g.OutPlane], yRef = new float[y.Length];
            strategy.Forward(ctx, cache, x, weight, bias, y, n, o, g);
            direct.Forward(ctx, refCache, x, weight, bias, yRef, n, o, g);
            AssertClose(yRef, y, tolerance, "y of " + what);

            float[] dw = new float[weight.Length], db = new float[o], dwRef = new float[weight.Length], dbRef = new float[o];
            strategy.BackwardWeights(ctx, cache, x, dy, dw, db, n, o, g);
            direct.BackwardWeights(ctx, refCache, x, dy, dwRef, dbRef, n, o, g);
            AssertClose(dwRef, dw, tolerance, "dW of " + what);
            AssertClose(dbRef, db, tolerance, "db of " + what);

            float[] dx = new float[x.Length], dxRef = new float[x.Length];
            strategy.BackwardInput(ctx, cache, dy, weight, dx, n, o, g);
            direct.BackwardInput(ctx, refCache, dy, weight, dxRef, n, o, g);
            AssertClose(dxRef, dx, tolerance, "dx of " + what);

            // The fused pass (where a strategy has one) gives the same gradients.
            float[] dw2 = new float[weight.Length], db2 = new float[o], dx2 = new float[x.Length];
            strategy.Backward(ctx, cache, x, weight, dy, dw2, db2, dx2, n, o, g);
            AssertClose(dwRef, dw2, tolerance, "fused dW of " + what);
            AssertClose(dxRef, dx2, tolerance, "fused dx of " + what);
            AssertClose(dbRef, db2, tolerance, "fused db of " + what);
        }
        if (tried == 0) Assert.Skip($"{strategy} supports none of the shapes on this machine (it needs instructions this CPU or leg lacks).");
    }

    /// <summary>
    /// The gradients are sums over the images, formed per image group (fixed by the batch size) and added along a fixed
    /// tree: the same bits on 1 to 4 threads, for batches of one group, of uneven groups and of all eight groups (and
    /// so are the outputs and input gradients, which are split by images).
    /// </summary>
    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Every_strategy_gives_the_same_bits_on_any_number_of_threads(string algorithm)
    {
        var strategy = ConvStrategies.All.Single(s => s.Algorithm.ToString() == algorithm);
        (int N, int C, int O, int H, int W, int K, int S)[] shapes =
            [(1, 16, 20, 9, 11, 5, 1), (13, 3, 8, 12, 12, 5, 1), (33, 16, 20, 10, 9, 3, 1), (9, 4, 6, 12, 10, 3, 2)];
        int tried = 0;
        foreach (var (n, c, o, h, w, k, stride) in shapes)
        {
            var g = ConvGeometry.Create("conv", c, h, w, k, k, stride, stride, Padding.Symmetric(k / 2));
            if (!strategy.Supports(g)) continue;
            tried++;
            var rng = new Random(n * 7 + c);
            float[] R(int length) { var a = new float[length]; for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1); return a; }
            float[] x = R(n * g.InSize), weight = R(o * g.PatchSize), bias = R(o), dy = R(n * o * g.OutPlane);
            (float[] Y, float[] Dw, float[] Db, float[] Dx, float[] FusedDw, float[] FusedDb) Run(int threads)
            {
                using var ctx = new ComputeContext(threads);
                var cache = new ConvCache();
                float[] y = new float[n * o * g.OutPlane], dw = new float[weight.Length], db = new float[o], dx = new float[x.Length];
                float[] dw2 = new float[weight.Length], db2 = new float[o];
                strategy.Forward(ctx, cache, x, weight, bias, y, n, o, g);
                strategy.BackwardWeights(ctx, cache, x, dy, dw, db, n, o, g);
                strategy.Backward(ctx, cache, x, weight, dy, dw2, db2, dx, n, o, g);
                return (y, dw, db, dx, dw2, db2);
            }
            var one = Run(1);
            foreach (int threads in new[] { 2, 3, 4 })
            {
                var more = Run(threads);
                string what = $"{strategy} {n}x{c}x{h}x{w} -> {o}, {k}x{k}/{stride}, {threads} threads against 1";
                // One image's forward pass is split inside the image (for latency), where a GEMM of a few rows may take
                // another kernel; a batch is split by images, each image's arithmetic the same on any thread.
                if (n > 1) Assert.True(one.Y.AsSpan().SequenceEqual(more.Y), "y of " + what);
                Assert.True(one.Dw.AsSpan().SequenceEqual(more.Dw), "dW of " + what);
                Assert.True(one.Db.AsSpan().SequenceEqual(more.Db), "db of " + what);
                Assert.True(one.Dx.AsSpan().SequenceEqual(more.Dx), "dx of " + what);
                Assert.True(one.FusedDw.AsSpan().SequenceEqual(more.FusedDw), "fused dW of " + what);
                Assert.True(one.FusedDb.AsSpan().SequenceEqual(more.FusedDb), "fused db of " + what);
            }
        }
        if (tried == 0) Assert.Skip($"{strategy} supports none of the shapes on this machine (it needs instructions this CPU or leg lacks).");
    }

    public static TheoryData<string> Algorithms()
    {
        var data = new TheoryData<string>();
        foreach (var s in ConvStrategies.All.Skip(1)) data.Add(s.Algorithm.ToString());
        return data;
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        double scale = 1, worst = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(expected[i]));
            double d = Math.Abs(expected[i] - actual[i]);
            if (!(d <= worst)) { worst = d; at = i; }
        }
        Assert.True(worst <= tolerance * scale, $"{what}: largest difference {worst:G3} at {at} (scale {scale:G3})");
    }

    [Fact]
    public void Auto_takes_the_first_preferred_strategy_in_the_stated_order()
    {
        var winogradShape = ConvGeometry.Create("conv", 32, 14, 14, 5, 5, 1, 1, Padding.Symmetric(2));
        var firstLayer = ConvGeometry.Create("conv", 1, 28, 28, 5, 5, 1, 1, Padding.Symmetric(2));
        var strided = ConvGeometry.Create("conv", 8, 14, 14, 3, 3, 2, 2, Padding.Symmetric(1));
        foreach (var g in new[] { winogradShape, firstLayer, strided })
            foreach (bool needsDx in new[] { false, true })
            {
                var expected = ConvStrategies.AutoOrder.First(s => s.Supports(g) && s.PreferredFor(g, needsDx));
                Assert.Same(expected, ConvStrategies.Resolve(ConvAlgorithm.Auto, g, needsDx));
            }
        Assert.Same(ConvStrategies.Strided, ConvStrategies.Resolve(ConvAlgorithm.Auto, strided, true));
        Assert.Same(ConvStrategies.Im2Col, ConvStrategies.AutoOrder[^1]); // supports everything: Auto always finds one
        // Asked for by name where it does not apply: im2col.
        Assert.Same(ConvStrategies.Im2Col, ConvStrategies.Resolve(ConvAlgorithm.Winograd, strided, true));
        Assert.Same(ConvStrategies.Direct, ConvStrategies.Resolve(ConvAlgorithm.Direct, strided, true));
        // Every algorithm but Auto has exactly one registered strategy.
        foreach (var a in Enum.GetValues<ConvAlgorithm>().Where(a => a != ConvAlgorithm.Auto))
            Assert.Single(ConvStrategies.All, s => s.Algorithm == a);
    }
}
