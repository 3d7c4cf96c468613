using Jimu.Kernels;
using Jimu.Layers;
using Jimu.Models;
using Jimu.Tensors;

namespace Jimu.Tests.Kernels;

/// <summary>
/// The row-vectorised direct convolution against the reference loops: forward, and the weight and bias gradients it
/// computes when the layer needs no input gradient, over kernel widths 1–8, ragged rows and channel groups, padding,
/// one image split by rows and batches split by images.
/// </summary>
[Collection(nameof(Jimu.Tests.Training.AllocationCollection))]
public class ConvVectorizedTests
{
    public static TheoryData<int, int, int, int, int, int, int, string> Shapes => new()
    {
        { 4, 1, 32, 28, 28, 5, 5, "2" },      // the seed network's conv1
        { 1, 1, 32, 28, 28, 5, 5, "2" },      // ... one image, its rows split over the threads
        { 3, 1, 32, 28, 28, 3, 3, "1" },      // vgg3's conv1: 3x3, one channel
        { 1, 1, 32, 28, 28, 3, 3, "1" },      // ... one image
        { 3, 3, 5, 9, 37, 3, 3, "1" },        // RGB, 3x3; rows of 37 (two full vectors and 5); 5 channels of a group of 8
        { 2, 2, 13, 6, 16, 1, 8, "0,1,3,4" }, // widest kernel, a 1-tall one, asymmetric padding; 13 output channels
        { 5, 1, 8, 7, 7, 7, 1, "valid" },     // 1-wide kernel, a 1x7 output
        { 2, 4, 9, 4, 5, 2, 2, "0" },         // even kernel, tiny image
    };

    [Theory, MemberData(nameof(Shapes))]
    public void Agrees_with_direct_loops(int batch, int inChannels, int outChannels, int h, int w, int kh, int kw, string padding)
    {
        Assert.SkipWhen(GemmMicroKernel.Selected == GemmMicroKernel.Kind.Scalar, "the vectorised direct convolution needs vector instructions; without them Conv2D uses im2col");
        var rng = new Random(batch * 100 + kw * 10 + h);
        var pad = Padding.Parse(padding);
        var direct = new Conv2D(inChannels, outChannels, kh, kw, 1, 1, pad, true, ConvAlgorithm.Direct);
        var vectorized = new Conv2D(inChannels, outChannels, kh, kw, 1, 1, pad, true, ConvAlgorithm.Vectorized) { InputGradientRequired = false };
        foreach (var p in direct.Parameters)
            for (int i = 0; i < p.Value.Length; i++) p.Value.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < direct.Parameters.Count; i++) vectorized.Parameters[i].Value.CopyFrom(direct.Parameters[i].Value);
        var x = GradientCheck.Random(rng, batch, inChannels, h, w);
        Assert.Equal(ConvAlgorithm.Vectorized, vectorized.AlgorithmFor(x.Shape));

        AssertClose(direct.Forward(x), vectorized.Forward(x), "y");
        var dy = GradientCheck.Random(rng, direct.OutputShape(x.Shape));
        direct.Backward(dy);
        Assert.Null(vectorized.Backward(dy));
        AssertClose(direct.Weight.Grad, vectorized.Weight.Grad, "dW");
        AssertClose(direct.Bias!.Grad, vectorized.Bias!.Grad, "db");

        // Again with the same buffers: stale state must not leak into the second pass.
        var again = vectorized.Forward(x);
        AssertClose(direct.Forward(x), again, "y again");
    }

    [Fact]
    public void A_layer_that_needs_an_input_gradient_gets_it_from_im2col()
    {
        Assert.SkipWhen(GemmMicroKernel.Selected == GemmMicroKernel.Kind.Scalar, "the vectorised direct convolution needs vector instructions; without them Conv2D uses im2col");
        var rng = new Random(4);
        var direct = new Conv2D(2, 3, 3, Padding.Symmetric(1), algorithm: ConvAlgorithm.Direct);
        var vectorized = new Conv2D(2, 3, 3, Padding.Symmetric(1), algorithm: ConvAlgorithm.Vectorized);
        Initializer.Initialize(direct, rng);
        for (int i = 0; i < direct.Parameters.Count; i++) vectorized.Parameters[i].Value.CopyFrom(direct.Parameters[i].Value);
        var x = GradientCheck.Random(rng, 2, 2, 7, 7);
        AssertClose(direct.Forward(x), vectorized.Forward(x), "y");
        var dy = GradientCheck.Random(rng, 2, 3, 7, 7);
        AssertClose(direct.Backward(dy)!, vectorized.Backward(dy)!, "dx");
        AssertClose(direct.Weight.Grad, vectorized.Weight.Grad, "dW");
    }

    [Fact]
    public void Forward_is_the_same_for_any_thread_count_and_dW_repeats_run_to_run()
    {
        Assert.SkipWhen(GemmMicroKernel.Selected == GemmMicroKernel.Kind.Scalar, "the vectorised direct convolution needs vector instructions; without them Conv2D uses im2col");
        using var oneThread = new ComputeContext(1);
        using var twoThreads = new ComputeContext(2);
        {
            var rng = new Random(8);
            var conv = new Conv2D(1, 32, 5, Padding.Symmetric(2), algorithm: ConvAlgorithm.Vectorized) { InputGradientRequired = false };
            Initializer.Initialize(conv, rng);
            var x = GradientCheck.Random(rng, 6, 1, 28, 28);
            var dy = GradientCheck.Random(rng, 6, 32, 28, 28);
            conv.Context = oneThread;
            var y1 = conv.Forward(x).Span.ToArray();
            conv.Context = twoThreads;
            Assert.Equal(y1, conv.Forward(x).Span.ToArray());
            conv.Backward(dy);
            var dw = conv.Weight.Grad.Span.ToArray();
            conv.Forward(x);
            conv.Backward(dy);
            Assert.Equal(dw, conv.Weight.Grad.Span.ToArray());
        }

    }

    [Fact]
    public void Auto_uses_it_for_a_first_layer_with_few_channels_only()
    {
        Assert.SkipWhen(GemmMicroKernel.Selected == GemmMicroKernel.Kind.Scalar, "the vectorised direct convolution needs vector instructions; without them Conv2D uses im2col");
        var net = new Sequential(
        [
            new Conv2D(1, 8, 5, Padding.Symmetric(2), name: "first"),
            new Conv2D(8, 8, 5, Padding.Symmetric(2), name: "winograd"),
            new Conv2D(8, 4, 3, Padding.Symmetric(1), name: "winograd3x3"),
            new Conv2D(4, 2, 3, Padding.Symmetric(1), name: "im2col"),
            new Conv2D(2, 2, 3, Padding.Symmetric(1), name: "few-but-not-first"),
        ], [1, 8, 8]);
        int[] shape = [1, 1, 8, 8];
        var algorithms = new List<ConvAlgorithm>();
        foreach (var layer in net.Layers.Cast<Conv2D>())
        {
            algorithms.Add(layer.AlgorithmFor(shape));
            shape = layer.OutputShape(shape);
        }
        // Winograd where this machine's width has it, else im2col.
        var winograd = ConvStrategies.Winograd.Supports(ConvGeometry.Create("t", 8, 8, 8, 5, 5, 1, 1, Padding.Symmetric(2)))
            ? ConvAlgorithm.Winograd : ConvAlgorithm.Im2Col;
        Assert.Equal([ConvAlgorithm.Vectorized, winograd, winograd, ConvAlgorithm.Im2Col, ConvAlgorithm.Im2Col], algorithms);
        var strided = new Conv2D(1, 4, 5, stride: 2, name: "strided") { InputGradientRequired = false };
        Assert.Equal(ConvAlgorithm.Strided, strided.AlgorithmFor([1, 1, 9, 9]));
    }

    /// <summary>
    /// Every width the machine has (not only the one Conv2D selects), on the seed network's conv1, on a ragged
    /// 3×7 shape and a 3×3 one, forward and dW/db against the direct loops, one image split by rows and a batch by images.
    /// </summary>
    [Theory]
    [InlineData(512, 4, 1, 32, 28, 28, 5, 5, 2)]
    [InlineData(256, 4, 1, 32, 28, 28, 5, 5, 2)]
    [InlineData(128, 4, 1, 32, 28, 28, 5, 5, 2)]
    [InlineData(512, 1, 3, 13, 9, 37, 3, 7, 1)]
    [InlineData(256, 1, 3, 13, 9, 37, 3, 7, 1)]
    [InlineData(128, 1, 3, 13, 9, 37, 3, 7, 1)]
    [InlineData(256, 2, 2, 9, 11, 13, 3, 3, 1)]   // 3×3: two kernel rows at once, then the last alone
    [InlineData(128, 2, 2, 9, 11, 13, 3, 3, 1)]
    public void Every_width_agrees_with_direct_loops(int bits, int batch, int channels, int outChannels, int h, int w, int kh, int kw, int pad) =>
        SimdWidths.Run(bits, new AtWidth(batch, channels, outChannels, h, w, kh, kw, pad));

    private readonly struct AtWidth(int batch, int channels, int outChannels, int h, int w, int kh, int kw, int pad) : IWidthTest
    {
        public void Run<S, V>() where S : struct, ISimdWidth<V> where V : unmanaged
        {
            using var ctx = new ComputeContext(2);
            var rng = new Random(kw * 100 + h);
            var g = ConvGeometry.Create("t", channels, h, w, kh, kw, 1, 1, Padding.Symmetric(pad));
            var x = GradientCheck.Random(rng, batch, channels, h, w);
            var weight = GradientCheck.Random(rng, outChannels, channels, kh, kw);
            var bias = GradientCheck.Random(rng, outChannels);
            var dy = GradientCheck.Random(rng, batch, outChannels, g.OutH, g.OutW);
            Tensor y = new(batch, outChannels, g.OutH, g.OutW), yRef = new(batch, outChannels, g.OutH, g.OutW);
            Tensor dw = new(outChannels, channels, kh, kw), dwRef = new(outChannels, channels, kh, kw);
            Tensor db = new(outChannels), dbRef = new(outChannels);
            ConvDirect.Forward(x.Span, weight.Span, bias.Span, yRef.Span, batch, outChannels, g);
            ConvDirect.BackwardWeights(x.Span, dy.Span, dwRef.Span, dbRef.Span, batch, outChannels, g);
            ConvVectorized.Forward<S, V>(ctx, x.Data, weight.Data, bias.Data, y.Data, batch, outChannels, g);
            ConvVectorized.BackwardWeights<S, V>(ctx, x.Data, dy.Data, dw.Data, db.Data, batch, outChannels, g);
            GradientCheck.AssertAgree(yRef, y, $"y at {S.Lanes * 32} bits");
            GradientCheck.AssertAgree(dwRef, dw, $"dW at {S.Lanes * 32} bits");
            GradientCheck.AssertAgree(dbRef, db, $"db at {S.Lanes * 32} bits");
        }
    }

    /// <summary>
    /// Every width, with a BatchNorm after the convolution (<see cref="ConvBatchNorm"/>): the output unchanged, each
    /// plane's shifted sums against float64 sums of that output, and the weight gradient through the BatchNorm (dx
    /// formed plane by plane) against the reference loops on dx formed in float64.
    /// </summary>
    [Theory]
    [InlineData(512, 1, 32, 28, 28, 5, 2)]
    [InlineData(256, 1, 32, 28, 28, 5, 2)]
    [InlineData(128, 1, 32, 28, 28, 5, 2)]
    [InlineData(512, 3, 13, 9, 37, 3, 1)]
    [InlineData(256, 3, 13, 9, 37, 3, 1)]
    [InlineData(128, 3, 13, 9, 37, 3, 1)]
    public void Every_width_sums_a_BatchNorm_statistics_and_forms_its_gradient(int bits, int channels, int outChannels, int h, int w, int kernel, int pad) =>
        SimdWidths.Run(bits, new WithBatchNorm(channels, outChannels, h, w, kernel, pad));

    private readonly struct WithBatchNorm(int channels, int outChannels, int h, int w, int kernel, int pad) : IWidthTest
    {
        public void Run<S, V>() where S : struct, ISimdWidth<V> where V : unmanaged
        {
            using var ctx = new ComputeContext(2);
            const int Batch = 3;
            var rng = new Random(outChannels + h);
            var g = ConvGeometry.Create("t", channels, h, w, kernel, kernel, 1, 1, Padding.Symmetric(pad));
            var x = GradientCheck.Random(rng, Batch, channels, h, w);
            for (int i = 0; i < x.Length; i++) x.Data[i] = x.Data[i] * 0.5f + 1.5f; // off-centre: the shift matters
            var weight = GradientCheck.Random(rng, outChannels, channels, kernel, kernel);
            var bias = GradientCheck.Random(rng, outChannels);
            int q = g.OutPlane;
            Tensor y = new(Batch, outChannels, g.OutH, g.OutW), plain = new(Batch, outChannels, g.OutH, g.OutW);
            var ch = new BatchNormChannels(outChannels);
            var link = new ConvBatchNorm(ch);
            ConvVectorized.Forward<S, V>(ctx, x.Data, weight.Data, bias.Data, y.Data, Batch, outChannels, g, link);
            ConvVectorized.Forward<S, V>(ctx, x.Data, weight.Data, bias.Data, plain.Data, Batch, outChannels, g);
            Assert.Equal(plain.Span.ToArray(), y.Span.ToArray());
            for (int plane = 0; plane < Batch * outChannels; plane++)
            {
                double k = ch.Pivot[plane % outChannels], sum = 0, squares = 0, magnitude = 0;
                for (int j = 0; j < q; j++) { double d = y.Data[plane * q + j] - k; sum += d; squares += d * d; magnitude += Math.Abs(d); }
                Assert.True(Math.Abs(link.PlaneSums[plane] - sum) <= 1e-5 * magnitude, $"Σ(y − K) of plane {plane}: {link.PlaneSums[plane]} against {sum}");
                Assert.True(Math.Abs(link.PlaneSums[Batch * outChannels + plane] - squares) <= 1e-5 * squares, $"Σ(y − K)² of plane {plane}");
                // The shift is near the channel's mean: the sums do not cancel.
                Assert.True(sum * sum / q <= squares, $"plane {plane}: the shift is far from the mean");
            }

            // Backward: random per-channel coefficients, as BatchNorm's backward pass would set them.
            for (int c = 0; c < outChannels; c++)
            {
                ch.Scale[c] = (float)(rng.NextDouble() - 0.3); ch.Shift[c] = (float)(rng.NextDouble() - 0.5);
                ch.K[c] = (float)rng.NextDouble(); ch.P[c] = (float)(rng.NextDouble() - 0.5); ch.Q[c] = (float)(rng.NextDouble() - 0.5);
                ch.MeanF[c] = (float)rng.NextDouble();
            }
            var dy = GradientCheck.Random(rng, Batch, outChannels, g.OutH, g.OutW);
            link.Gradient = new BatchNormTensors { X = y.Data, N = Batch, Channels = outChannels, S = q, Activation = BatchNormActivation.Relu, Dy = dy.Data };
            Tensor dw = new(outChannels, channels, kernel, kernel), db = new(outChannels);
            ConvVectorized.BackwardWeights<S, V>(ctx, x.Data, [], dw.Data, db.Data, Batch, outChannels, g, link);
            var dx = new Tensor(Batch, outChannels, g.OutH, g.OutW);
            for (int i = 0; i < dx.Length; i++)
            {
                int c = i / q % outChannels;
                float yi = y.Data[i];
                double gi = MathF.FusedMultiplyAdd(yi, ch.Scale[c], ch.Shift[c]) > 0 ? dy.Data[i] : 0;
                dx.Data[i] = (float)(gi * ch.K[c] + ((double)yi - ch.MeanF[c]) * ch.P[c] + ch.Q[c]);
            }
            Tensor dwRef = new(outChannels, channels, kernel, kernel), dbRef = new(outChannels);
            ConvDirect.BackwardWeights(x.Span, dx.Span, dwRef.Span, dbRef.Span, Batch, outChannels, g);
            GradientCheck.AssertAgree(dwRef, dw, $"dW through BatchNorm at {S.Lanes * 32} bits");
            GradientCheck.AssertAgree(dbRef, db, $"db through BatchNorm at {S.Lanes * 32} bits");
        }
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what) => GradientCheck.AssertAgree(expected, actual, what);
}
