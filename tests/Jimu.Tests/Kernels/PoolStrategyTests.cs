using Jimu.Kernels;
using Jimu.Layers;

namespace Jimu.Tests.Kernels;

/// <summary>
/// Every registered pooling strategy against the direct loops (<see cref="PoolStrategies.Direct"/>), on every shape
/// below that it supports: a strategy added to <see cref="PoolStrategies.All"/> is checked here without another line.
/// </summary>
public class PoolStrategyTests
{
    private static readonly (int N, int C, int H, int W, int Kh, int Kw, int Sh, int Sw, Padding Pad)[] Shapes =
    [
        (3, 4, 28, 28, 2, 2, 2, 2, Padding.Zero),         // the 2×2 kernel
        (2, 3, 9, 11, 3, 3, 2, 2, Padding.Symmetric(1)),  // overlapping windows, padding
        (2, 2, 10, 7, 3, 2, 1, 2, Padding.Zero),          // rectangular
        (1, 5, 13, 13, 2, 2, 2, 2, Padding.Zero),         // odd size: the last row and column are dropped
    ];

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var s in PoolStrategies.All.Skip(1))
            foreach (int threads in new[] { 1, 2 }) data.Add(s.Algorithm.ToString(), threads);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_strategy_matches_the_direct_loops_where_it_supports_the_shape(string algorithm, int threads)
    {
        var strategy = PoolStrategies.All.Single(s => s.Algorithm.ToString() == algorithm);
        var direct = PoolStrategies.Direct;
        using var ctx = new ComputeContext(threads);
        int tried = 0;
        foreach (var (n, c, h, w, kh, kw, sh, sw, pad) in Shapes)
        {
            var g = ConvGeometry.Create("pool", c, h, w, kh, kw, sh, sw, pad);
            if (!strategy.Supports(g)) continue;
            tried++;
            var rng = new Random(n * 100 + h);
            float[] R(int length) { var a = new float[length]; for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1); return a; }
            int outputs = n * c * g.OutPlane;
            float[] x = R(n * g.InSize), dy = R(outputs);
            string what = $"{strategy} {n}x{c}x{h}x{w}, {kh}x{kw}/{sh}x{sw} {pad}, {threads} thread(s)";
            foreach (bool relu in new[] { false, true })
            {
                // Max pooling picks values, so y is exact; dx too, up to the order of the sums where windows overlap.
                float[] y = new float[outputs], yRef = new float[outputs], dx = new float[x.Length], dxRef = new float[x.Length];
                int[] arg = new int[outputs], argRef = new int[outputs];
                strategy.MaxForward(ctx, x, y, arg, n, g, relu);
                direct.MaxForward(ctx, x, yRef, argRef, n, g, relu);
                Assert.True(yRef.SequenceEqual(y), $"max y of {what}, relu {relu}");
                strategy.MaxBackward(ctx, dy, arg, dx, n, g);
                direct.MaxBackward(ctx, dy, argRef, dxRef, n, g);
                for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(dx[i] - dxRef[i]) <= 1e-6, $"max dx[{i}] of {what}, relu {relu}: {dx[i]} vs {dxRef[i]}");
            }
            float[] ay = new float[outputs], ayRef = new float[outputs], adx = new float[x.Length], adxRef = new float[x.Length];
            strategy.AvgForward(ctx, x, ay, n, g);
            direct.AvgForward(ctx, x, ayRef, n, g);
            for (int i = 0; i < outputs; i++) Assert.True(Math.Abs(ay[i] - ayRef[i]) <= 1e-6, $"avg y[{i}] of {what}: {ay[i]} vs {ayRef[i]}");
            strategy.AvgBackward(ctx, dy, adx, n, g);
            direct.AvgBackward(ctx, dy, adxRef, n, g);
            for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(adx[i] - adxRef[i]) <= 1e-6, $"avg dx[{i}] of {what}: {adx[i]} vs {adxRef[i]}");
        }
        if (tried == 0) Assert.Skip($"{strategy} supports none of the shapes on this machine.");
    }

    [Fact]
    public void Every_algorithm_has_exactly_one_registered_strategy()
    {
        foreach (var a in Enum.GetValues<PoolAlgorithm>())
            Assert.Single(PoolStrategies.All, s => s.Algorithm == a);
        Assert.Same(PoolStrategies.Direct, PoolStrategies.All[0]);
    }
}
