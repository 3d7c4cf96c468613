using Jimu.Layers;
using Jimu.Tensors;

namespace Jimu.Tests.Layers;

public class LinearTests
{
    private static Linear Known()
    {
        var fc = new Linear(2, 3, name: "fc");
        new float[] { 1, 2, 3, 4, 5, 6 }.CopyTo(fc.Weight.Value.Data, 0);
        new float[] { 1, 0, -1 }.CopyTo(fc.Bias!.Value.Data, 0);
        return fc;
    }

    [Fact]
    public void ForwardComputesXTimesWTransposedPlusBias()
    {
        var y = Known().Forward(Tensor.FromArray([1, 1, 2, 0], 2, 2));
        Assert.Equal(new[] { 2, 3 }, y.Shape.ToArray());
        Assert.Equal(new float[] { 4, 7, 10, 3, 6, 9 }, y.Span.ToArray());
    }

    [Fact]
    public void BackwardComputesKnownGradients()
    {
        var fc = Known();
        fc.Forward(Tensor.FromArray([1, 1, 2, 0], 2, 2));
        var dx = fc.Backward(Tensor.FromArray([1, 0, 2, 0, 1, 1], 2, 3))!;
        // dW = dyᵀ·x: rows o of Σ_n dy[n,o]·x[n,:]
        Assert.Equal(new float[] { 1, 1, 2, 0, 4, 2 }, fc.Weight.Grad.Span.ToArray());
        Assert.Equal(new float[] { 1, 1, 3 }, fc.Bias!.Grad.Span.ToArray());
        // dx = dy·W
        Assert.Equal(new float[] { 11, 14, 8, 10 }, dx.Span.ToArray());
    }

    [Fact]
    public void BackwardOverwritesParameterGradients()
    {
        var fc = Known();
        var x = Tensor.FromArray([1, 1, 2, 0], 2, 2);
        var dy = Tensor.FromArray([1, 0, 2, 0, 1, 1], 2, 3);
        fc.Forward(x); fc.Backward(dy);
        var w1 = fc.Weight.Grad.Span.ToArray(); var b1 = fc.Bias!.Grad.Span.ToArray();
        fc.Forward(x); fc.Backward(dy);
        Assert.Equal(w1, fc.Weight.Grad.Span.ToArray());
        Assert.Equal(b1, fc.Bias.Grad.Span.ToArray());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FiniteDifferences(bool bias)
    {
        var fc = new Linear(7, 5, bias);
        Jimu.Models.Initializer.Initialize(fc, new Random(1));
        GradientCheck.Check(fc, GradientCheck.Random(new Random(2), 3, 7));
    }

    /// <summary>
    /// A mostly-zero output gradient (as behind a ReLU and a dropout) takes the sparse products; dW, db and dx still
    /// agree with the plain ones, and a dense one (below the zero share) with them too. Without vectors both take the plain products.
    /// </summary>
    [Theory]
    [InlineData(0.8)]
    [InlineData(0.1)]
    public void BackwardAgreesWithThePlainProductsForSparseAndDenseGradients(double zeros)
    {
        const int n = 9, inF = 301, outF = 70;
        var fc = new Linear(inF, outF);
        Jimu.Models.Initializer.Initialize(fc, new Random(4));
        var rng = new Random(5);
        var x = GradientCheck.Random(rng, n, inF);
        var dy = GradientCheck.Random(rng, n, outF);
        for (int i = 0; i < dy.Length; i++) if (rng.NextDouble() < zeros) dy.Data[i] = 0f;
        Assert.Equal(zeros > 0.5 && Jimu.Kernels.SparseGemm.Supported, Jimu.Kernels.SparseGemm.Pays(Jimu.Kernels.SparseGemm.CountNonZero(dy.Span), dy.Length));
        fc.Forward(x);
        var dx = fc.Backward(dy)!;
        Tensor dwRef = new(outF, inF), dxRef = new(n, inF), dbRef = new(outF);
        Jimu.Kernels.GemmReference.Multiply(outF, inF, n, dy.Span, outF, true, x.Span, inF, false, dwRef.Span, inF);
        Jimu.Kernels.GemmReference.Multiply(n, inF, outF, dy.Span, outF, false, fc.Weight.Value.Span, inF, false, dxRef.Span, inF);
        for (int i = 0; i < n; i++) for (int o = 0; o < outF; o++) dbRef.Data[o] += dy.Data[i * outF + o];
        GradientCheck.AssertAgree(dwRef, fc.Weight.Grad, "dW");
        GradientCheck.AssertAgree(dxRef, dx, "dx");
        GradientCheck.AssertAgree(dbRef, fc.Bias!.Grad, "db");
    }

    [Fact]
    public void ParametersAndProperties()
    {
        var fc = new Linear(3136, 512, name: "fc1");
        Assert.Equal((3136, 512, true), (fc.InFeatures, fc.OutFeatures, fc.HasBias));
        Assert.Equal(["weight", "bias"], fc.Parameters.Select(p => p.Name));
        Assert.Equal(new[] { 512, 3136 }, fc.Weight.Value.Shape.ToArray());
        Assert.Equal(new[] { 512 }, fc.Bias!.Value.Shape.ToArray());
        var noBias = new Linear(4, 2, bias: false);
        Assert.False(noBias.HasBias);
        Assert.Null(noBias.Bias);
        Assert.Single(noBias.Parameters);
        Assert.Equal(new[] { 64, 512 }, fc.OutputShape([64, 3136]));
        Assert.Equal("Linear 3136 -> 512", fc.Describe());
    }

    [Fact]
    public void ResetParametersFollowsPyTorchBounds()
    {
        var fc = new Linear(16, 8);
        Jimu.Models.Initializer.Initialize(fc, new Random(3));
        foreach (var p in fc.Parameters)
            Assert.All(p.Value.Span.ToArray(), v => Assert.InRange(v, -0.25f, 0.25f));
        Assert.Contains(fc.Weight.Value.Span.ToArray(), v => v != 0);
    }

    [Fact]
    public void NoInputGradientWhenNotRequiredButParameterGradientsStillSet()
    {
        var fc = Known();
        fc.InputGradientRequired = false;
        fc.Forward(Tensor.FromArray([1, 1, 2, 0], 2, 2));
        Assert.Null(fc.Backward(Tensor.FromArray([1, 0, 2, 0, 1, 1], 2, 3)));
        Assert.Equal(new float[] { 1, 1, 3 }, fc.Bias!.Grad.Span.ToArray());
    }

    [Fact]
    public void WrongFeatureCountIsRejected()
    {
        var fc = new Linear(3136, 512, name: "fc1");
        var e = Assert.Throws<ShapeException>(() => fc.Forward(new Tensor(2, 3000)));
        Assert.Equal("Linear 'fc1' expects input [*, 3136] (3136 input features), got [2, 3000].", e.Message);
        Assert.Equal(("Linear", "fc1", "input"), (e.LayerType, e.LayerName, e.Argument));
        Assert.Equal([ShapeException.Any, 3136], e.Expected);
        Assert.Equal([2, 3000], e.Actual);
        Assert.Null(e.Hint);
    }

    [Fact]
    public void WrongRankIsRejectedWithAFlattenHint()
    {
        var fc = new Linear(3136, 512, name: "fc1");
        var e = Assert.Throws<ShapeException>(() => fc.Forward(new Tensor(2, 64, 7, 7)));
        Assert.Equal("Linear 'fc1' expects input [*, 3136] (2-D), got [2, 64, 7, 7]; put a Flatten layer before it.", e.Message);
        Assert.Equal([2, 64, 7, 7], e.Actual);
        Assert.Equal("put a Flatten layer before it", e.Hint);
    }

    [Fact]
    public void BackwardChecksItsInput()
    {
        var fc = Known();
        Assert.Throws<InvalidOperationException>(() => fc.Backward(new Tensor(2, 3)));
        fc.Forward(new Tensor(2, 2));
        Assert.Throws<ShapeException>(() => fc.Backward(new Tensor(2, 2)));
    }
}
