using Jimu.Losses;
using Jimu.Tensors;

namespace Jimu.Tests.Losses;

public class SoftmaxCrossEntropyTests
{
    [Fact]
    public void KnownValue()
    {
        var loss = new SoftmaxCrossEntropy().Forward(Tensor.FromArray([1, 2, 3], 1, 3), [2]);
        double expected = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)) - 3;
        Assert.Equal(expected, loss, 6);
    }

    [Fact]
    public void BatchMeanOfKnownValues()
    {
        var ce = new SoftmaxCrossEntropy();
        double loss = ce.Forward(Tensor.FromArray([1, 2, 3, 0, 0, 0], 2, 3), [2, 1]);
        double l0 = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)) - 3, l1 = Math.Log(3);
        Assert.Equal((l0 + l1) / 2, loss, 6);
    }

    [Fact]
    public void StableForLargeLogits()
    {
        var ce = new SoftmaxCrossEntropy();
        double loss = ce.Forward(Tensor.FromArray([1000, 999, -1000, -1000, -1000, -999], 2, 3), [0, 0]);
        double l0 = Math.Log(1 + Math.Exp(-1) + Math.Exp(-2000)), l1 = 1 + Math.Log(1 + 2 * Math.Exp(-1)); // row 1: lse = −999 + log(1 + 2/e), minus z = −1000
        Assert.True(double.IsFinite(loss));
        Assert.Equal((l0 + l1) / 2, loss, 5);
        var g = ce.Backward();
        Assert.All(g.Span.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void GradientIsSoftmaxMinusOneHotOverN()
    {
        var ce = new SoftmaxCrossEntropy();
        var logits = GradientCheck.Random(new Random(1), 4, 5);
        int[] labels = [0, 4, 2, 2];
        ce.Forward(logits, labels);
        var g = ce.Backward();
        for (int n = 0; n < 4; n++)
        {
            double z = 0;
            for (int k = 0; k < 5; k++) z += Math.Exp(logits[n, k]);
            for (int k = 0; k < 5; k++)
            {
                double p = Math.Exp(logits[n, k]) / z;
                Assert.Equal((p - (k == labels[n] ? 1 : 0)) / 4, g[n, k], 6);
                Assert.Equal(p, ce.Probabilities[n, k], 6);
            }
        }
    }

    [Fact]
    public void FiniteDifferences()
    {
        var ce = new SoftmaxCrossEntropy();
        var logits = GradientCheck.Random(new Random(2), 3, 6);
        for (int i = 0; i < logits.Length; i++) logits.Data[i] *= 3;
        int[] labels = [5, 0, 3];
        ce.Forward(logits, labels);
        var g = ce.Backward().Clone();
        GradientCheck.CheckLoss(logits, g, () => ce.Forward(logits, labels), atol: 1e-4);
    }

    [Fact]
    public void SoftmaxHelperWritesRowProbabilities()
    {
        var logits = Tensor.FromArray([1000, 1000, 0, 0, 1, 2], 2, 3);
        var p = new Tensor(2, 3);
        SoftmaxCrossEntropy.Softmax(logits, p);
        Assert.Equal(0.5f, p[0, 0], 6);
        Assert.Equal(0.5f, p[0, 1], 6);
        Assert.Equal(0f, p[0, 2], 6);
        double z = Math.Exp(0) + Math.Exp(1) + Math.Exp(2);
        Assert.Equal(Math.Exp(2) / z, p[1, 2], 6);
        Assert.Throws<ShapeException>(() => SoftmaxCrossEntropy.Softmax(logits, new Tensor(3, 2)));
    }

    [Fact]
    public void ErrorsAreClear()
    {
        var ce = new SoftmaxCrossEntropy();
        var logits = new Tensor(2, 10);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ce.Forward(logits, [3, 10]));
        Assert.Contains("label 10 of sample 1 is out of range [0, 10)", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ce.Forward(logits, [-1, 0]));
        Assert.Throws<ShapeException>(() => ce.Forward(logits, [1]));
        Assert.Throws<ShapeException>(() => ce.Forward(new Tensor(2, 10, 1), [1, 2]));
        Assert.Throws<InvalidOperationException>(() => new SoftmaxCrossEntropy().Backward());
    }
}
