using Jimu.Layers;
using Jimu.Tensors;

namespace Jimu.Tests.Layers;

public class PoolTests
{
    private static readonly float[,] Seed = { { 10, 8, 9, 7 }, { 2, 2, 12, 3 }, { 20, 15, 8, 9 }, { 13, 21, 23, 12 } };

    private static Tensor Image(float[,] m)
    {
        int h = m.GetLength(0), w = m.GetLength(1);
        var t = new Tensor(1, 1, h, w);
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++) t.Data[i * w + j] = m[i, j];
        return t;
    }

    private static void AssertImage(float[,] expected, Tensor actual, double tol = 0)
    {
        int h = expected.GetLength(0), w = expected.GetLength(1);
        Assert.Equal(new[] { 1, 1, h, w }, actual.Shape.ToArray());
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
                Assert.True(Math.Abs(expected[i, j] - actual.Data[i * w + j]) <= tol,
                    $"[{i},{j}]: expected {expected[i, j]}, got {actual.Data[i * w + j]}");
    }

    public static TheoryData<PoolAlgorithm> Algorithms => new() { PoolAlgorithm.Direct, PoolAlgorithm.Im2Col };

    // ---- Seed worked examples 4 and 5 ----

    [Theory, MemberData(nameof(Algorithms))]
    public void MaxPool_SeedExample4(PoolAlgorithm algorithm)
    {
        var pool = new MaxPool2D(2, algorithm: algorithm);
        AssertImage(new float[,] { { 10, 12 }, { 21, 23 } }, pool.Forward(Image(Seed)));
    }

    [Theory, MemberData(nameof(Algorithms))]
    public void MaxPool_SeedExample4_ShiftedOneColumn(PoolAlgorithm algorithm)
    {
        // The seed (002) shifts the matrix one column right, filling with zeros, and claims the same [[10,12],[21,23]].
        // Its bottom-left window is {0, 20, 0, 13} (the 21 moved into the next window), so the true result is [[10,12],[20,23]].
        var shifted = new float[,] { { 0, 10, 8, 9 }, { 0, 2, 2, 12 }, { 0, 20, 15, 8 }, { 0, 13, 21, 23 } };
        var pool = new MaxPool2D(2, algorithm: algorithm);
        AssertImage(new float[,] { { 10, 12 }, { 20, 23 } }, pool.Forward(Image(shifted)));
        // With the zero column added in front and nothing dropped (4x5 input), the same [[10,12],[20,23]] too: floor((5−2)/2)+1 = 2 columns.
        var widened = new float[,] { { 0, 10, 8, 9, 7 }, { 0, 2, 2, 12, 3 }, { 0, 20, 15, 8, 9 }, { 0, 13, 21, 23, 12 } };
        AssertImage(new float[,] { { 10, 12 }, { 20, 23 } }, pool.Forward(Image(widened)));
    }

    [Theory, MemberData(nameof(Algorithms))]
    public void MaxPool_SeedExample5_Backward(PoolAlgorithm algorithm)
    {
        var pool = new MaxPool2D(2, algorithm: algorithm);
        pool.Forward(Image(Seed));
        var dx = pool.Backward(Image(new float[,] { { 1, 2 }, { 3, 4 } }))!;
        AssertImage(new float[,] { { 1, 0, 0, 0 }, { 0, 0, 2, 0 }, { 0, 0, 0, 0 }, { 0, 3, 4, 0 } }, dx);
    }

    [Theory, MemberData(nameof(Algorithms))]
    public void AvgPool_SeedExample5_ForwardAndBackward(PoolAlgorithm algorithm)
    {
        var pool = new AvgPool2D(2, algorithm: algorithm);
        AssertImage(new float[,] { { 5.5f, 7.75f }, { 17.25f, 13 } }, pool.Forward(Image(Seed)), 1e-6);
        var dx = pool.Backward(Image(new float[,] { { 1, 2 }, { 3, 4 } }))!;
        AssertImage(new float[,]
        {
            { 0.25f, 0.25f, 0.5f, 0.5f }, { 0.25f, 0.25f, 0.5f, 0.5f },
            { 0.75f, 0.75f, 1, 1 }, { 0.75f, 0.75f, 1, 1 },
        }, dx);
    }

    // ---- Ties and padding ----

    [Theory, MemberData(nameof(Algorithms))]
    public void MaxPool_TiesSendGradientToFirstMaximumInRowMajorOrder(PoolAlgorithm algorithm)
    {
        var pool = new MaxPool2D(2, algorithm: algorithm);
        // Window 0: all equal → (0,0). Window 1: 5 at (0,3) and (1,2) → (0,3), the first in row-major order.
        pool.Forward(Image(new float[,] { { 7, 7, 1, 5 }, { 7, 7, 5, 2 } }));
        var dx = pool.Backward(Image(new float[,] { { 1, 2 } }))!;
        AssertImage(new float[,] { { 1, 0, 0, 2 }, { 0, 0, 0, 0 } }, dx);
    }

    [Theory, MemberData(nameof(Algorithms))]
    public void MaxPool_OverlappingTiedWindowsAccumulateOnTheSharedFirstMaximum(PoolAlgorithm algorithm)
    {
        // 3x3 stride 1 over an all-equal 4x4: windows start at (0,0),(0,1),(1,0),(1,1); each first max is its top-left.
        var pool = new MaxPool2D(3, 3, 1, 1, algorithm: algorithm);
        var x = new Tensor(1, 1, 4, 4);
        x.Span.Fill(3);
        pool.Forward(x);
        var dx = pool.Backward(Image(new float[,] { { 1, 2 }, { 3, 4 } }))!;
        AssertImage(new float[,] { { 1, 2, 0, 0 }, { 3, 4, 0, 0 }, { 0, 0, 0, 0 }, { 0, 0, 0, 0 } }, dx);
    }

    [Theory, MemberData(nameof(Algorithms))]
    public void MaxPool_PaddingNeverWins(PoolAlgorithm algorithm)
    {
        var pool = new MaxPool2D(2, 2, padding: 1, algorithm: algorithm);
        var y = pool.Forward(Image(new float[,] { { -1, -2 }, { -3, -4 } }));
        AssertImage(new float[,] { { -1, -2 }, { -3, -4 } }, y);
        var dx = pool.Backward(Image(new float[,] { { 1, 2 }, { 3, 4 } }))!;
        AssertImage(new float[,] { { 1, 2 }, { 3, 4 } }, dx);
    }

    [Theory, MemberData(nameof(Algorithms))]
    public void AvgPool_CountsPaddingInTheDivisor(PoolAlgorithm algorithm)
    {
        // count_include_pad=True: a corner window of 3x3 with padding 1 holds 4 real values but divides by 9.
        var pool = new AvgPool2D(3, 1, padding: 1, algorithm: algorithm);
        var y = pool.Forward(Image(new float[,] { { 9, 9 }, { 9, 9 } }));
        AssertImage(new float[,] { { 4, 4 }, { 4, 4 } }, y, 1e-5);
        var dx = pool.Backward(Image(new float[,] { { 9, 0 }, { 0, 0 } }))!;
        AssertImage(new float[,] { { 1, 1 }, { 1, 1 } }, dx, 1e-6);
    }

    [Theory, MemberData(nameof(Algorithms))]
    public void MaxPool_NaNPropagates(PoolAlgorithm algorithm)
    {
        var pool = new MaxPool2D(2, algorithm: algorithm);
        var y = pool.Forward(Image(new float[,] { { 1, float.NaN }, { 3, float.NaN } }));
        Assert.True(float.IsNaN(y.Data[0]));
        var dx = pool.Backward(Image(new float[,] { { 5 } }))!;
        AssertImage(new float[,] { { 0, 5 }, { 0, 0 } }, dx);
    }

    // ---- Many configurations: reference values and finite differences ----

    public record Config(int N, int C, int H, int W, int Kh, int Kw, int Sh, int Sw, string Pad)
    {
        public override string ToString() => $"{N}x{C}x{H}x{W} k{Kh}x{Kw} s{Sh}x{Sw} pad {Pad}";

        /// <summary>A seed fixed by the configuration (a record's GetHashCode hashes its string with a per-process seed).</summary>
        public int Seed => ToString().Aggregate(17, (h, ch) => unchecked(h * 31 + ch)) & 0xffff;
    }

    public static TheoryData<Config, PoolAlgorithm> Configs()
    {
        Config[] configs =
        [
            new(1, 1, 4, 4, 2, 2, 2, 2, "0"),
            new(2, 3, 7, 7, 3, 3, 2, 2, "0"),          // overlapping 3x3/2, size the stride does not divide
            new(2, 2, 5, 5, 3, 3, 2, 2, "1"),          // explicit symmetric padding
            new(1, 2, 5, 6, 2, 3, 2, 2, "same"),       // TF same, asymmetric: H (0,1), W (0,1)
            new(2, 1, 9, 8, 3, 2, 3, 2, "1,0,0,1"),    // explicit asymmetric padding, non-square window
            new(1, 3, 7, 5, 4, 4, 3, 3, "same"),
            new(3, 1, 5, 6, 1, 1, 1, 1, "0"),
            new(1, 1, 3, 3, 3, 3, 1, 1, "0"),
            new(1, 1, 1, 1, 5, 5, 1, 1, "same"),       // window wider than the input, padding (2,2) each side
            new(1, 2, 2, 3, 4, 3, 1, 1, "same"),       // window taller than the input
            new(2, 2, 8, 8, 2, 2, 1, 1, "0"),          // stride 1
            new(1, 2, 7, 9, 5, 3, 1, 2, "same"),
            new(2, 2, 6, 7, 3, 2, 1, 3, "valid"),
            new(1, 1, 10, 3, 2, 1, 3, 1, "1,0"),       // padding (h, w) = (1, 0)
        ];
        var data = new TheoryData<Config, PoolAlgorithm>();
        foreach (var c in configs)
        {
            data.Add(c, PoolAlgorithm.Direct);
            data.Add(c, PoolAlgorithm.Im2Col);
        }
        return data;
    }

    /// <summary>Distinct values spaced 0.05 apart (more than twice the finite-difference step) in random order, so max pooling has no kink nearby.</summary>
    internal static Tensor DistinctInput(Random rng, params int[] shape)
    {
        var t = new Tensor(shape);
        var order = Enumerable.Range(0, t.Length).OrderBy(_ => rng.Next()).ToArray();
        for (int i = 0; i < t.Length; i++) t.Data[i] = (order[i] - t.Length / 2) * 0.05f;
        return t;
    }

    /// <summary>Independent reference written from the definition, in padded coordinates: max ignores padding, average divides by kh·kw.</summary>
    private static Tensor Reference(Tensor x, Config c, bool max)
    {
        var pad = Padding.Parse(c.Pad);
        var (pt, pb) = pad.Resolve(c.H, c.Kh, c.Sh, vertical: true);
        var (pl, pr) = pad.Resolve(c.W, c.Kw, c.Sw, vertical: false);
        int oh = (c.H + pt + pb - c.Kh) / c.Sh + 1, ow = (c.W + pl + pr - c.Kw) / c.Sw + 1;
        var y = new Tensor(c.N, c.C, oh, ow);
        for (int n = 0; n < c.N; n++)
            for (int ch = 0; ch < c.C; ch++)
                for (int a = 0; a < oh; a++)
                    for (int b = 0; b < ow; b++)
                    {
                        double best = double.NegativeInfinity, sum = 0;
                        for (int i = 0; i < c.Kh; i++)
                            for (int j = 0; j < c.Kw; j++)
                            {
                                int h = a * c.Sh + i - pt, w = b * c.Sw + j - pl;
                                if (h < 0 || h >= c.H || w < 0 || w >= c.W) continue;
                                double v = x[n, ch, h, w];
                                best = Math.Max(best, v);
                                sum += v;
                            }
                        y[n, ch, a, b] = (float)(max ? best : sum / (c.Kh * c.Kw));
                    }
        return y;
    }

    private static Pool2D Make(bool max, Config c, PoolAlgorithm algorithm) => max
        ? new MaxPool2D(c.Kh, c.Kw, c.Sh, c.Sw, Padding.Parse(c.Pad), algorithm, "p")
        : new AvgPool2D(c.Kh, c.Kw, c.Sh, c.Sw, Padding.Parse(c.Pad), algorithm, "p");

    [Theory, MemberData(nameof(Configs))]
    public void MaxPool_MatchesReferenceAndFiniteDifferences(Config c, PoolAlgorithm algorithm)
    {
        var x = DistinctInput(new Random(c.Seed), c.N, c.C, c.H, c.W);
        var pool = Make(max: true, c, algorithm);
        var expected = Reference(x, c, max: true);
        var y = pool.Forward(x);
        Assert.Equal(expected.Shape.ToArray(), pool.OutputShape(x.Shape));
        Assert.Equal(0, GradientCheck.MaxAbsDiff(expected, y));
        GradientCheck.Check(pool, x, samples: 40);
    }

    [Theory, MemberData(nameof(Configs))]
    public void AvgPool_MatchesReferenceAndFiniteDifferences(Config c, PoolAlgorithm algorithm)
    {
        var x = GradientCheck.Random(new Random(7), c.N, c.C, c.H, c.W);
        var pool = Make(max: false, c, algorithm);
        var expected = Reference(x, c, max: false);
        var y = pool.Forward(x);
        Assert.Equal(expected.Shape.ToArray(), pool.OutputShape(x.Shape));
        Assert.True(GradientCheck.MaxAbsDiff(expected, y) < 1e-5);
        GradientCheck.Check(pool, x, samples: 40);
    }

    // ---- Direct and Im2Col agree ----

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DirectAndIm2ColAgreeOnRandomConfigurations(bool max)
    {
        var rng = new Random(max ? 11 : 12);
        int tested = 0;
        for (int attempt = 0; tested < 30 && attempt < 1000; attempt++)
        {
            int kh = rng.Next(1, 5), kw = rng.Next(1, 5);
            var c = new Config(rng.Next(1, 4), rng.Next(1, 4), rng.Next(1, 10), rng.Next(1, 10), kh, kw, rng.Next(1, 5), rng.Next(1, 5),
                rng.Next(4) switch
                {
                    0 => "same",
                    1 => "valid",
                    _ => $"{rng.Next(kh)},{rng.Next(kh)},{rng.Next(kw)},{rng.Next(kw)}",
                });
            var direct = Make(max, c, PoolAlgorithm.Direct);
            var im2col = Make(max, c, PoolAlgorithm.Im2Col);
            int[] inShape = [c.N, c.C, c.H, c.W];
            int[] outShape;
            try { outShape = direct.OutputShape(inShape); }
            catch (ShapeException) { continue; } // window larger than the padded input, or all-padding windows
            tested++;
            var x = DistinctInput(rng, inShape);
            var dy = GradientCheck.Random(rng, outShape);
            var y1 = direct.Forward(x).Clone();
            var y2 = im2col.Forward(x);
            Assert.True(GradientCheck.MaxAbsDiff(y1, y2) <= 1e-6, $"forward differs for {c}");
            var dx1 = direct.Backward(dy)!.Clone();
            var dx2 = im2col.Backward(dy)!;
            Assert.True(GradientCheck.MaxAbsDiff(dx1, dx2) <= 1e-6, $"input gradient differs for {c}");
        }
        Assert.Equal(30, tested);
    }

    // ---- Buffers, modes and metadata ----

    [Theory, MemberData(nameof(Algorithms))]
    public void ReusesBuffersAndSkipsInputGradientWhenNotRequired(PoolAlgorithm algorithm)
    {
        var pool = new MaxPool2D(2, algorithm: algorithm);
        var x = GradientCheck.Random(new Random(3), 2, 3, 6, 6);
        var y1 = pool.Forward(x);
        var dx1 = pool.Backward(y1.Clone());
        var y2 = pool.Forward(x);
        var dx2 = pool.Backward(y2.Clone());
        Assert.Same(y1, y2);
        Assert.Same(y1.Data, y2.Data);
        Assert.Same(dx1, dx2);
        pool.InputGradientRequired = false;
        Assert.Null(pool.Backward(y2.Clone()));
    }

    [Fact]
    public void BackwardUsesTheAlgorithmOfItsForwardPass()
    {
        var x = PoolTests.DistinctInput(new Random(5), 1, 2, 5, 5);
        var pool = new MaxPool2D(3, 2, padding: 1, algorithm: PoolAlgorithm.Im2Col);
        var y = pool.Forward(x);
        var dy = GradientCheck.Random(new Random(6), y.Shape.ToArray());
        var expected = pool.Backward(dy)!.Clone();
        pool.Forward(x);
        pool.Algorithm = PoolAlgorithm.Direct;
        Assert.Equal(0, GradientCheck.MaxAbsDiff(expected, pool.Backward(dy)!));
    }

    [Fact]
    public void PropertiesAndDescribe()
    {
        var max = new MaxPool2D(2);
        Assert.Equal((2, 2, 2, 2), (max.KernelH, max.KernelW, max.StrideH, max.StrideW));
        Assert.Equal(Padding.Zero, max.Padding);
        Assert.Equal(PoolAlgorithm.Direct, max.Algorithm);
        Assert.Equal("MaxPool2D 2x2, stride 2", max.Describe());
        var avg = new AvgPool2D(3, 2, 1, 2, Padding.Same, PoolAlgorithm.Im2Col, "a1");
        Assert.Equal("AvgPool2D 3x2, stride 1x2, padding same", avg.Describe());
        Assert.Equal(PoolAlgorithm.Im2Col, avg.Algorithm);
        Assert.Equal("MaxPool2D 3x3, stride 2, padding 1", new MaxPool2D(3, 2, 1).Describe());
    }

    // ---- Errors ----

    [Fact]
    public void ZeroStrideOrKernelIsRejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new MaxPool2D(2, 0, name: "pool1"));
        Assert.Contains("MaxPool2D 'pool1'", e.Message);
        Assert.Contains("stride", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AvgPool2D(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AvgPool2D(2, 2, 1, 0));
    }

    [Theory, MemberData(nameof(Algorithms))]
    public void WindowLargerThanPaddedInputIsRejected(PoolAlgorithm algorithm)
    {
        var pool = new AvgPool2D(3, name: "pool2", algorithm: algorithm);
        var e = Assert.Throws<ShapeException>(() => pool.Forward(new Tensor(1, 1, 2, 5)));
        Assert.Contains("AvgPool2D 'pool2'", e.Message);
        Assert.Contains("at least 3x3 pixels after padding", e.Message);
        Assert.Equal(("AvgPool2D", "pool2"), (e.LayerType, e.LayerName));
    }

    [Fact]
    public void WrongRankIsRejected()
    {
        var e = Assert.Throws<ShapeException>(() => new MaxPool2D(2, name: "pool1").Forward(new Tensor(1, 4, 4)));
        Assert.Equal("MaxPool2D 'pool1' expects input [*, *, *, *] (4-D NCHW), got [1, 4, 4].", e.Message);
    }

    [Fact]
    public void MaxPoolWindowsMadeOnlyOfPaddingAreRejected()
    {
        var e = Assert.Throws<ShapeException>(() => new MaxPool2D(2, 2, padding: 2, name: "p").Forward(new Tensor(1, 1, 4, 4)));
        Assert.Contains("MaxPool2D 'p'", e.Message);
        Assert.Contains("wholly in the padding", e.Message);
        Assert.Equal([1, 1, 4, 4], e.Actual);
        // Average pooling defines them (zeros), as count_include_pad does.
        var y = new AvgPool2D(2, 2, padding: 2).Forward(new Tensor(1, 1, 4, 4));
        Assert.Equal(new[] { 1, 1, 4, 4 }, y.Shape.ToArray());
    }

    [Fact]
    public void BackwardChecksItsInput()
    {
        var pool = new MaxPool2D(2, name: "p");
        Assert.Throws<InvalidOperationException>(() => pool.Backward(new Tensor(1, 1, 2, 2)));
        pool.Forward(new Tensor(1, 1, 4, 4));
        var e = Assert.Throws<ShapeException>(() => pool.Backward(new Tensor(1, 1, 3, 2)));
        Assert.Equal("MaxPool2D 'p' expects output gradient [1, 1, 2, 2] (the shape of its last output), got [1, 1, 3, 2].", e.Message);
        Assert.Equal("output gradient", e.Argument);
    }
}
