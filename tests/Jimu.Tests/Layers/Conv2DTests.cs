using Jimu.Kernels;
using Jimu.Layers;
using Jimu.Tensors;

namespace Jimu.Tests.Layers;

public class Conv2DTests
{
    public static TheoryData<ConvAlgorithm> Algorithms => new() { ConvAlgorithm.Direct, ConvAlgorithm.Im2Col, ConvAlgorithm.Winograd, ConvAlgorithm.Vectorized, ConvAlgorithm.Auto };

    // ---------- helpers ----------

    private static Tensor Arange(params int[] shape)
    {
        var t = new Tensor(shape);
        for (int i = 0; i < t.Length; i++) t.Data[i] = i;
        return t;
    }

    private static Tensor T(float[] data, params int[] shape) => Tensor.FromArray(data, shape);

    private static void AssertClose(float[] expected, ReadOnlySpan<float> actual, double tol = 1e-4, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * Math.Max(1, Math.Abs(expected[i])),
                $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    /// <summary>Relative closeness of two tensors: max |a − b| ≤ rtol · max(1, max |a|). Prints the largest difference.</summary>
    private static void AssertTensorsClose(Tensor expected, Tensor actual, double rtol, string what)
    {
        double diff = GradientCheck.MaxAbsDiff(expected, actual);
        double scale = 1;
        for (int i = 0; i < expected.Length; i++) scale = Math.Max(scale, Math.Abs(expected.Data[i]));
        Assert.True(diff <= rtol * scale, $"{what}: max |diff| {diff:G3} > {rtol} · {scale:G4}");
    }

    private static Conv2D RandomLayer(Random rng, int c, int o, int kh, int kw, int sh, int sw, Padding pad, bool bias, ConvAlgorithm alg)
    {
        var conv = new Conv2D(c, o, kh, kw, sh, sw, pad, bias, alg, "conv");
        foreach (var p in conv.Parameters)
            for (int i = 0; i < p.Value.Length; i++) p.Value.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        return conv;
    }

    private static void CopyParameters(Conv2D from, Conv2D to)
    {
        for (int i = 0; i < from.Parameters.Count; i++) to.Parameters[i].Value.CopyFrom(from.Parameters[i].Value);
    }

    // ---------- seed worked examples (README examples 1–3) ----------

    [Theory, MemberData(nameof(Algorithms))]
    public void SeedExample1_SingleChannel(ConvAlgorithm alg)
    {
        var conv = new Conv2D(1, 1, 2, 2, algorithm: alg);
        new float[] { 0, 1, 2, 3 }.CopyTo(conv.Weight.Value.Data, 0);
        var x = T([0, 1, 2, 3, 4, 5, 6, 7, 8], 1, 1, 3, 3);

        var y = conv.Forward(x);
        Assert.Equal([1, 1, 2, 2], y.Shape.ToArray());
        AssertClose([19, 25, 37, 43], y.Span, what: "y");

        var dx = conv.Backward(T([0, 1, 2, 3], 1, 1, 2, 2))!;
        AssertClose([6], conv.Bias!.Grad.Span, what: "db");
        AssertClose([19, 25, 37, 43], conv.Weight.Grad.Span, what: "dW");
        AssertClose([0, 0, 1, 0, 4, 6, 4, 12, 9], dx.Span, what: "dX");
    }

    [Theory, MemberData(nameof(Algorithms))]
    public void SeedExample2_Batch2_Channels3To2(ConvAlgorithm alg)
    {
        var conv = new Conv2D(3, 2, 2, 2, algorithm: alg);
        conv.Weight.Value.CopyFrom(Arange(2, 3, 2, 2));
        var x = Arange(2, 3, 3, 3);
        conv.Forward(x);
        var dx = conv.Backward(Arange(2, 2, 2, 2))!;

        // The seed divides dW and db by the batch size 2; the layer returns sums.
        var dw = conv.Weight.Grad.Span.ToArray().Select(v => v / 2).ToArray();
        AssertClose([564, 586, 630, 652], dw.AsSpan(0, 4), what: "dW[0,0]/2");            // [o=0, c=0]
        AssertClose([1496, 1534, 1610, 1648], dw.AsSpan((1 * 3 + 2) * 4, 4), what: "dW[1,2]/2"); // [o=1, c=2]
        AssertClose([22, 38], conv.Bias!.Grad.Span.ToArray().Select(v => v / 2).ToArray(), what: "db/2");
        AssertClose([48, 112, 66, 128, 296, 172, 88, 200, 114], dx.Span.Slice(0, 9), what: "dX[0,0]");           // [n=0, c=0]
        AssertClose([304, 656, 354, 704, 1512, 812, 408, 872, 466], dx.Span.Slice((1 * 3 + 2) * 9, 9), what: "dX[1,2]"); // [n=1, c=2]
    }

    [Theory, MemberData(nameof(Algorithms))]
    public void SeedExample3_Valid3x3AllOnes(ConvAlgorithm alg)
    {
        var conv = new Conv2D(1, 1, 3, padding: Padding.Valid, bias: false, algorithm: alg);
        conv.Weight.Value.Span.Fill(1);
        var x = T([10, 8, 9, 7, 2, 2, 12, 3, 20, 15, 8, 9, 13, 21, 23, 12], 1, 1, 4, 4);
        var y = conv.Forward(x);
        Assert.Equal([1, 1, 2, 2], y.Shape.ToArray());
        AssertClose([86, 73, 116, 105], y.Span, what: "y");
    }

    // ---------- configurations ----------

    /// <summary>One test configuration; padding as text for <see cref="Padding.Parse"/>.</summary>
    public sealed record Config(int N, int C, int O, int H, int W, int Kh, int Kw, int Sh, int Sw, string Pad, bool Bias)
    {
        public override string ToString() => $"N{N} C{C}→{O} {H}x{W} k{Kh}x{Kw} s{Sh}x{Sw} pad {Pad}{(Bias ? "" : " nobias")}";

        /// <summary>A seed fixed by the configuration: a record's GetHashCode hashes its string with a per-process
        /// random seed, which made the finite-difference checks draw other data in every run.</summary>
        public int Seed => ToString().Aggregate(17, (h, ch) => unchecked(h * 31 + ch)) & 0xffff;
    }

    private static readonly Config[] Configs =
    [
        new(1, 1, 1, 5, 5, 3, 3, 1, 1, "0", true),
        new(3, 5, 4, 4, 3, 1, 1, 1, 1, "0", true),          // 1x1: a plain GEMM on the image, no unfold
        new(2, 3, 2, 5, 5, 1, 1, 2, 2, "0", false),         // 1x1 at stride 2 (a downsampling shortcut): unfolded
        new(2, 3, 2, 6, 6, 3, 3, 2, 2, "0", true),          // stride 2
        new(1, 2, 3, 7, 7, 3, 3, 2, 2, "1", true),          // stride 2, size not divisible
        new(2, 2, 2, 5, 5, 4, 4, 2, 2, "same", true),       // even kernel, stride 2, asymmetric same padding (1, 2)
        new(1, 1, 2, 6, 7, 2, 2, 1, 1, "same", true),       // even kernel, stride 1: pad (0, 1)
        new(2, 2, 3, 7, 6, 4, 2, 2, 3, "same", false),      // mixed strides, same, no bias
        new(1, 3, 2, 6, 5, 3, 2, 1, 1, "0", true),          // non-square 3x2
        new(2, 2, 2, 5, 8, 1, 4, 1, 2, "valid", true),      // non-square 1x4, stride 1x2
        new(1, 2, 2, 5, 6, 2, 3, 2, 1, "1,0,2,1", true),    // explicit asymmetric padding
        new(3, 4, 5, 9, 9, 5, 5, 1, 1, "same", true),       // MNIST-like 5x5 same, batch 3
        new(2, 1, 1, 4, 4, 5, 5, 1, 1, "same", false),      // kernel larger than input, saved by padding
        new(2, 3, 2, 7, 9, 3, 3, 3, 2, "2,1", true),        // strides not dividing, symmetric (ph, pw)
        new(1, 2, 2, 3, 3, 3, 3, 1, 1, "valid", true),      // 1x1 output
    ];

    public static TheoryData<Config, ConvAlgorithm> ConfigsByAlgorithm()
    {
        var data = new TheoryData<Config, ConvAlgorithm>();
        foreach (var c in Configs)
            foreach (var a in new[] { ConvAlgorithm.Direct, ConvAlgorithm.Im2Col, ConvAlgorithm.Winograd, ConvAlgorithm.Vectorized }) data.Add(c, a);
        return data;
    }

    [Theory, MemberData(nameof(ConfigsByAlgorithm))]
    public void GradientsMatchFiniteDifferences(Config cfg, ConvAlgorithm alg)
    {
        var rng = new Random(cfg.Seed);
        var conv = RandomLayer(rng, cfg.C, cfg.O, cfg.Kh, cfg.Kw, cfg.Sh, cfg.Sw, Padding.Parse(cfg.Pad), cfg.Bias, alg);
        var x = GradientCheck.Random(rng, cfg.N, cfg.C, cfg.H, cfg.W);
        GradientCheck.Check(conv, x, seed: 7, samples: 40);
    }

    /// <summary>Independent float64 convolution: TF "same" padding resolved here, not by <see cref="Padding.Resolve"/>.</summary>
    private static double[] ReferenceConv(Tensor x, Conv2D conv, out int outH, out int outW)
    {
        int n = x.Dim(0), c = x.Dim(1), h = x.Dim(2), w = x.Dim(3), o = conv.OutChannels, kh = conv.KernelH, kw = conv.KernelW, sh = conv.StrideH, sw = conv.StrideW;
        (int, int) Pads(int size, int k, int s, bool vertical) => conv.Padding.Mode switch
        {
            Padding.PaddingMode.Valid => (0, 0),
            Padding.PaddingMode.Same => SamePads(size, k, s),
            _ => conv.Padding.Resolve(size, k, s, vertical),
        };
        static (int, int) SamePads(int size, int k, int s)
        {
            int outSize = (int)Math.Ceiling(size / (double)s);
            int total = Math.Max((outSize - 1) * s + k - size, 0);
            return (total / 2, total - total / 2);
        }
        var (pt, pb) = Pads(h, kh, sh, true);
        var (pl, pr) = Pads(w, kw, sw, false);
        outH = (h + pt + pb - kh) / sh + 1;
        outW = (w + pl + pr - kw) / sw + 1;
        var wt = conv.Weight.Value;
        var y = new double[n * o * outH * outW];
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < o; oc++)
                for (int i = 0; i < outH; i++)
                    for (int j = 0; j < outW; j++)
                    {
                        double s = conv.Bias is null ? 0 : conv.Bias.Value.Data[oc];
                        for (int ic = 0; ic < c; ic++)
                            for (int p = 0; p < kh; p++)
                                for (int q = 0; q < kw; q++)
                                {
                                    int r = i * sh + p - pt, col = j * sw + q - pl;
                                    if (r >= 0 && r < h && col >= 0 && col < w)
                                        s += (double)wt[oc, ic, p, q] * x[b, ic, r, col];
                                }
                        y[((b * o + oc) * outH + i) * outW + j] = s;
                    }
        return y;
    }

    [Theory, MemberData(nameof(ConfigsByAlgorithm))]
    public void ForwardMatchesFloat64Reference(Config cfg, ConvAlgorithm alg)
    {
        var rng = new Random(1000 + (cfg.Seed));
        var conv = RandomLayer(rng, cfg.C, cfg.O, cfg.Kh, cfg.Kw, cfg.Sh, cfg.Sw, Padding.Parse(cfg.Pad), cfg.Bias, alg);
        var x = GradientCheck.Random(rng, cfg.N, cfg.C, cfg.H, cfg.W);
        var expected = ReferenceConv(x, conv, out int oh, out int ow);
        var y = conv.Forward(x);
        Assert.Equal([cfg.N, cfg.O, oh, ow], y.Shape.ToArray());
        Assert.Equal(y.Shape.ToArray(), conv.OutputShape(x.Shape));
        double maxDiff = 0;
        for (int i = 0; i < expected.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - y.Data[i]));
        // Winograd's transforms scale terms up before they cancel: its rounding error is a few times larger.
        double tol = alg == ConvAlgorithm.Winograd ? 5e-5 : 1e-5;
        Assert.True(maxDiff <= tol, $"{cfg} {alg}: max |y − reference| = {maxDiff:G3}");
    }

    [Fact]
    public void DirectAndIm2ColAgreeOnRandomConfigurations()
    {
        var rng = new Random(12345);
        for (int trial = 0; trial < 30; trial++)
        {
            int n = rng.Next(1, 4), c = rng.Next(1, 5), o = rng.Next(1, 5);
            int kh = rng.Next(1, 6), kw = rng.Next(1, 6), sh = rng.Next(1, 4), sw = rng.Next(1, 4);
            int h = rng.Next(kh, 13), w = rng.Next(kw, 13);
            Padding pad = rng.Next(4) switch
            {
                0 => Padding.Zero,
                1 => Padding.Same,
                2 => Padding.Valid,
                _ => Padding.Explicit(rng.Next(3), rng.Next(3), rng.Next(3), rng.Next(3)),
            };
            bool bias = rng.Next(4) != 0;
            string what = $"trial {trial}: N{n} C{c}→{o} {h}x{w} k{kh}x{kw} s{sh}x{sw} pad {pad} bias {bias}";

            var direct = RandomLayer(rng, c, o, kh, kw, sh, sw, pad, bias, ConvAlgorithm.Direct);
            var im2col = new Conv2D(c, o, kh, kw, sh, sw, pad, bias, ConvAlgorithm.Im2Col);
            CopyParameters(direct, im2col);
            var x = GradientCheck.Random(rng, n, c, h, w);

            var y1 = direct.Forward(x);
            var y2 = im2col.Forward(x);
            AssertTensorsClose(y1, y2, 1e-4, what + " y");
            var dy = GradientCheck.Random(rng, y1.Shape.ToArray());
            var dx1 = direct.Backward(dy)!;
            var dx2 = im2col.Backward(dy)!;
            AssertTensorsClose(dx1, dx2, 1e-4, what + " dx");
            for (int p = 0; p < direct.Parameters.Count; p++)
                AssertTensorsClose(direct.Parameters[p].Grad, im2col.Parameters[p].Grad, 1e-4, what + " d" + direct.Parameters[p].Name);
        }
    }

    // ---------- shapes and padding ----------

    [Theory]
    [InlineData(5, 4, 2, 3, 1, 2)]
    [InlineData(28, 5, 1, 28, 2, 2)]
    [InlineData(14, 5, 1, 14, 2, 2)]
    [InlineData(28, 2, 2, 14, 0, 0)]
    [InlineData(7, 2, 1, 7, 0, 1)]
    [InlineData(7, 3, 2, 4, 1, 1)]
    [InlineData(6, 1, 3, 2, 0, 0)]
    public void SamePaddingFollowsTensorFlow(int input, int kernel, int stride, int output, int before, int after)
    {
        var conv = new Conv2D(1, 4, kernel, Padding.Same, stride);
        Assert.Equal([2, 4, output, output], conv.OutputShape([2, 1, input, input]));
        var g = ConvGeometry.Create("test", 1, input, input, kernel, kernel, stride, stride, Padding.Same);
        Assert.Equal((before, after, before, after), (g.PadTop, g.PadBottom, g.PadLeft, g.PadRight));
        Assert.Equal([2, 4, output, output], conv.Forward(new Tensor(2, 1, input, input)).Shape.ToArray());
    }

    [Theory]
    [InlineData(28, 5, 1, 24)]
    [InlineData(5, 4, 2, 1)]
    [InlineData(7, 3, 2, 3)]
    public void ValidPaddingShrinks(int input, int kernel, int stride, int output)
    {
        var conv = new Conv2D(3, 2, kernel, Padding.Valid, stride);
        Assert.Equal([1, 2, output, output], conv.OutputShape([1, 3, input, input]));
    }

    [Fact]
    public void NonSquareOutputShape()
    {
        var conv = new Conv2D(2, 3, 3, 1, 2, 1, Padding.Symmetric(1, 0));
        Assert.Equal([4, 3, 4, 6], conv.OutputShape([4, 2, 7, 6]));   // H: (7+2−3)/2+1 = 4, W: (6−1)/1+1 = 6
    }

    // ---------- errors ----------

    [Theory, MemberData(nameof(Algorithms))]
    public void WrongChannelCountIsAShapeError(ConvAlgorithm alg)
    {
        var conv = new Conv2D(32, 64, 5, Padding.Same, algorithm: alg, name: "conv2");
        var e = Assert.Throws<ShapeException>(() => conv.Forward(new Tensor(1, 3, 8, 8)));
        Assert.Equal("Conv2D 'conv2' expects input [*, 32, *, *] (32 input channels), got [1, 3, 8, 8].", e.Message);
        Assert.Equal(("Conv2D 'conv2'", "Conv2D", "conv2", "input"), (e.Operation, e.LayerType, e.LayerName, e.Argument));
        Assert.Equal([ShapeException.Any, 32, ShapeException.Any, ShapeException.Any], e.Expected);
        Assert.Equal([1, 3, 8, 8], e.Actual);
        Assert.Null(e.LayerIndex); // a lone layer does not know where it sits
        var e2 = Assert.Throws<ShapeException>(() => conv.OutputShape([1, 3, 8, 8]));
        Assert.Equal(e.Message, e2.Message);
    }

    [Fact]
    public void NonFourDimensionalInputIsAShapeError()
    {
        var conv = new Conv2D(1, 2, 3, name: "c");
        var e = Assert.Throws<ShapeException>(() => conv.Forward(new Tensor(1, 5, 5)));
        Assert.Equal("Conv2D 'c' expects input [*, 1, *, *] (4-D NCHW), got [1, 5, 5].", e.Message);
        Assert.Equal([1, 5, 5], e.Actual);
        Assert.Throws<ShapeException>(() => conv.OutputShape([1, 1, 5, 5, 1]));
    }

    [Fact]
    public void KernelLargerThanPaddedInputIsAShapeError()
    {
        var conv = new Conv2D(1, 2, 5, 3, padding: Padding.Symmetric(1), name: "big");
        var e = Assert.Throws<ShapeException>(() => conv.Forward(new Tensor(1, 1, 2, 8)));
        Assert.Equal(("big", "Conv2D", "input"), (e.LayerName, e.LayerType, e.Argument));
        Assert.Null(e.Expected); // no one shape says "at least 5x3 after padding": the requirement does
        Assert.Equal([1, 1, 2, 8], e.Actual);
        Assert.Contains("at least 5x3 pixels after padding", e.Requirement);
        Assert.Contains("the padded input is 4x10", e.Message);
        Assert.Equal("use a smaller kernel, more padding or a larger input", e.Hint);
        Assert.Throws<ShapeException>(() => conv.OutputShape([1, 1, 2, 8]));
        Assert.Equal([1, 2, 1, 8], conv.OutputShape([1, 1, 3, 8]));   // just fits
    }

    [Fact]
    public void InvalidHyperParametersAreRejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2D(1, 2, 3, 3, strideH: 0, name: "s"));
        Assert.Contains("stride", e.Message);
        Assert.Contains("'s'", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2D(1, 2, 3, 3, 1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2D(1, 2, 0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2D(0, 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2D(1, 0, 3));
    }

    [Fact]
    public void BackwardChecksTheGradientShape()
    {
        var conv = new Conv2D(1, 2, 3);
        Assert.Throws<InvalidOperationException>(() => conv.Backward(new Tensor(1, 2, 3, 3)));
        conv.Forward(new Tensor(1, 1, 5, 5));
        Assert.Throws<ShapeException>(() => conv.Backward(new Tensor(1, 2, 4, 3)));
    }

    // ---------- behaviour ----------

    [Theory, MemberData(nameof(Algorithms))]
    public void WithoutInputGradientBackwardReturnsNullButSetsParameterGradients(ConvAlgorithm alg)
    {
        var rng = new Random(3);
        var full = RandomLayer(rng, 2, 3, 3, 3, 2, 2, Padding.Same, true, alg);
        var first = new Conv2D(2, 3, 3, 3, 2, 2, Padding.Same, true, alg) { InputGradientRequired = false };
        CopyParameters(full, first);
        var x = GradientCheck.Random(rng, 2, 2, 7, 7);
        var dy = GradientCheck.Random(rng, full.OutputShape(x.Shape));
        full.Forward(x);
        Assert.NotNull(full.Backward(dy));
        first.Forward(x);
        Assert.Null(first.Backward(dy));
        Assert.Equal(full.Weight.Grad.Span.ToArray(), first.Weight.Grad.Span.ToArray());
        Assert.Equal(full.Bias!.Grad.Span.ToArray(), first.Bias!.Grad.Span.ToArray());
    }

    [Theory, MemberData(nameof(Algorithms))]
    public void BuffersAreReusedAndBackwardOverwritesGradients(ConvAlgorithm alg)
    {
        var rng = new Random(4);
        var conv = RandomLayer(rng, 2, 2, 3, 3, 1, 1, Padding.Same, true, alg);
        var x = GradientCheck.Random(rng, 2, 2, 5, 5);
        var dy = GradientCheck.Random(rng, 2, 2, 5, 5);
        var y1 = conv.Forward(x);
        var dx1 = conv.Backward(dy)!;
        var dw1 = conv.Weight.Grad.Span.ToArray();
        var db1 = conv.Bias!.Grad.Span.ToArray();
        var y1Data = y1.Data; var dx1Data = dx1.Data;

        var y2 = conv.Forward(x);
        var dx2 = conv.Backward(dy)!;
        Assert.Same(y1, y2); Assert.Same(y1Data, y2.Data);
        Assert.Same(dx1, dx2); Assert.Same(dx1Data, dx2.Data);
        Assert.Equal(dw1, conv.Weight.Grad.Span.ToArray());   // overwritten, not accumulated
        Assert.Equal(db1, conv.Bias.Grad.Span.ToArray());

        // A smaller batch reuses the same storage.
        var y3 = conv.Forward(GradientCheck.Random(rng, 1, 2, 5, 5));
        Assert.Same(y1Data, y3.Data);
        Assert.Equal([1, 2, 5, 5], y3.Shape.ToArray());
    }

    [Fact]
    public void AlgorithmCanBeSwitchedPerLayer()
    {
        var rng = new Random(5);
        var conv = RandomLayer(rng, 3, 2, 3, 2, 2, 1, Padding.Same, true, ConvAlgorithm.Direct);
        var x = GradientCheck.Random(rng, 2, 3, 6, 5);
        var yDirect = conv.Forward(x).Clone();
        conv.Algorithm = ConvAlgorithm.Im2Col;
        AssertTensorsClose(yDirect, conv.Forward(x), 1e-5, "y");
    }

    [Fact]
    public void PropertiesAndDescription()
    {
        var conv = new Conv2D(32, 64, 5, Padding.Same, name: "conv2");
        Assert.Equal("Conv2D 32→64, 5x5, stride 1, padding same", conv.Describe());
        Assert.Equal((32, 64, 5, 5, 1, 1, true), (conv.InChannels, conv.OutChannels, conv.KernelH, conv.KernelW, conv.StrideH, conv.StrideW, conv.HasBias));
        Assert.Equal(Padding.Same, conv.Padding);
        Assert.Equal(ConvAlgorithm.Auto, conv.Algorithm);
        Assert.Equal(["weight", "bias"], conv.Parameters.Select(p => p.Name));
        Assert.Equal([64, 32, 5, 5], conv.Weight.Value.Shape.ToArray());
        Assert.Equal([64], conv.Bias!.Value.Shape.ToArray());

        var plain = new Conv2D(3, 8, 3, 1, 2, 1, bias: false);
        Assert.False(plain.HasBias);
        Assert.Null(plain.Bias);
        Assert.Equal(["weight"], plain.Parameters.Select(p => p.Name));
        Assert.Equal("Conv2D 3→8, 3x1, stride 2x1, padding 0, no bias", plain.Describe());
        Assert.Equal(Padding.Zero, plain.Padding);
    }

    [Fact]
    public void SquareOverloadTakesPaddingThenStride()
    {
        // Four ints pick the general constructor: a 5x5 kernel, not kernel 5 with stride 5.
        var general = new Conv2D(1, 32, 5, 5);
        Assert.Equal((5, 5, 1, 1), (general.KernelH, general.KernelW, general.StrideH, general.StrideW));
        var square = new Conv2D(1, 32, 4, Padding.Same, 2);
        Assert.Equal((4, 4, 2, 2, Padding.Same), (square.KernelH, square.KernelW, square.StrideH, square.StrideW, square.Padding));
        var named = new Conv2D(1, 32, 3, stride: 2);
        Assert.Equal((3, 3, 2, 2, Padding.Zero), (named.KernelH, named.KernelW, named.StrideH, named.StrideW, named.Padding));
    }

    [Fact]
    public void InitializeUsesThePyTorchBound()
    {
        var conv = new Conv2D(2, 4, 3);
        Jimu.Models.Initializer.Initialize(conv, new Random(6));
        double bound = 1 / Math.Sqrt(2 * 3 * 3);
        foreach (var p in conv.Parameters)
        {
            Assert.All(p.Value.Span.ToArray(), v => Assert.InRange(Math.Abs(v), 0, bound));
            Assert.Contains(p.Value.Span.ToArray(), v => v != 0);
        }
    }
}
