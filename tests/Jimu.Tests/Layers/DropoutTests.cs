using Jimu.Layers;
using Jimu.Tensors;

namespace Jimu.Tests.Layers;

public class DropoutTests
{
    /// <summary>Reseeds before every forward pass, so each pass draws the same mask and the layer is a fixed linear map the finite-difference check can probe.</summary>
    private sealed class ReseededDropout(Dropout inner, int seed) : Layer("reseeded")
    {
        public override int[] OutputShape(ReadOnlySpan<int> inputShape) => inner.OutputShape(inputShape);
        public override Tensor Forward(Tensor input) { inner.Reseed(seed); return inner.Forward(input); }
        public override Tensor? Backward(Tensor outputGradient) => inner.Backward(outputGradient);
    }

    [Fact]
    public void EvalModeIsIdentity()
    {
        var d = new Dropout(0.5, seed: 1) { Training = false };
        var x = GradientCheck.Random(new Random(1), 4, 10);
        Assert.Equal(0, GradientCheck.MaxAbsDiff(x, d.Forward(x)));
        var dy = GradientCheck.Random(new Random(2), 4, 10);
        Assert.Equal(0, GradientCheck.MaxAbsDiff(dy, d.Backward(dy)!));
    }

    [Fact]
    public void ZeroProbabilityIsIdentityInTraining()
    {
        var d = new Dropout(0, seed: 1);
        var x = GradientCheck.Random(new Random(1), 3, 7);
        Assert.Equal(0, GradientCheck.MaxAbsDiff(x, d.Forward(x)));
        var dy = GradientCheck.Random(new Random(2), 3, 7);
        Assert.Equal(0, GradientCheck.MaxAbsDiff(dy, d.Backward(dy)!));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.2)]
    [InlineData(0.9)]
    public void TrainingKeepsAboutOneMinusPAndScalesKeptValues(double p)
    {
        var d = new Dropout(p, seed: 42);
        var x = new Tensor(100, 1000);
        x.Span.Fill(2f);
        var y = d.Forward(x);
        float kept = (float)(2 / (1 - p));
        int keptCount = 0;
        for (int i = 0; i < y.Length; i++)
        {
            if (y.Data[i] == 0f) continue;
            Assert.Equal(kept, y.Data[i]);
            keptCount++;
        }
        double fraction = keptCount / (double)y.Length;
        // Binomial standard deviation is at most 0.0016 over 100 000 draws; allow 5σ.
        Assert.InRange(fraction, 1 - p - 0.008, 1 - p + 0.008);
    }

    [Fact]
    public void BackwardMultipliesByTheSameMask()
    {
        const double p = 0.3;
        var d = new Dropout(p, seed: 5);
        var x = GradientCheck.Random(new Random(1), 8, 16);
        var y = d.Forward(x).Clone();
        var dy = GradientCheck.Random(new Random(2), 8, 16);
        var dx = d.Backward(dy)!;
        float scale = (float)(1 / (1 - p));
        for (int i = 0; i < x.Length; i++)
        {
            bool keptUnit = y.Data[i] != 0f;
            Assert.Equal(keptUnit ? dy.Data[i] * scale : 0f, dx.Data[i]);
            Assert.Equal(keptUnit ? x.Data[i] * scale : 0f, y.Data[i]);
        }
    }

    [Fact]
    public void SameSeedGivesSameMasksAndReseedRestarts()
    {
        var x = new Tensor(10, 50);
        x.Span.Fill(1f);
        var a = new Dropout(0.5, seed: 9);
        var b = new Dropout(0.5, seed: 9);
        var a1 = a.Forward(x).Clone();
        Assert.Equal(0, GradientCheck.MaxAbsDiff(a1, b.Forward(x)));
        var a2 = a.Forward(x).Clone();
        Assert.NotEqual(0, GradientCheck.MaxAbsDiff(a1, a2)); // the sequence moves on
        a.Reseed(9);
        Assert.Equal(0, GradientCheck.MaxAbsDiff(a1, a.Forward(x)));
        var c = new Dropout(0.5, seed: 10);
        Assert.NotEqual(0, GradientCheck.MaxAbsDiff(a1, c.Forward(x)));
    }

    [Fact]
    public void FiniteDifferencesWithAFixedMask()
    {
        var layer = new ReseededDropout(new Dropout(0.4, seed: 3), seed: 3);
        GradientCheck.Check(layer, GradientCheck.Random(new Random(4), 4, 12));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void InvalidProbabilityIsRejected(double p)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(p, name: "drop1"));
        Assert.Contains("Dropout 'drop1'", e.Message);
        var d = new Dropout(0.5);
        Assert.Throws<ArgumentOutOfRangeException>(() => d.Probability = p);
        Assert.Equal(0.5, d.Probability);
    }

    [Fact]
    public void ReusesBuffersAndSkipsInputGradientWhenNotRequired()
    {
        var d = new Dropout(0.5, seed: 1);
        var x = GradientCheck.Random(new Random(1), 4, 6);
        var y1 = d.Forward(x);
        var dx1 = d.Backward(x);
        Assert.Same(y1, d.Forward(x));
        Assert.Same(dx1, d.Backward(x));
        d.InputGradientRequired = false;
        Assert.Null(d.Backward(x));
        Assert.Equal("Dropout p=0.5", d.Describe());
    }
}
