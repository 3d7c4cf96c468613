using Jimu.Losses;
using Jimu.Tensors;

namespace Jimu.Tests.Losses;

public class MeanSquaredErrorTests
{
    [Fact]
    public void KnownValueAndGradient()
    {
        var mse = new MeanSquaredError();
        var p = Tensor.FromArray([1, 2, 3, 4], 2, 2);
        var t = Tensor.FromArray([1, 0, 4, 1], 2, 2);
        // (0 + 4 + 1 + 9) / 4
        Assert.Equal(3.5, mse.Forward(p, t), 10);
        // 2 (p − t) / 4
        Assert.Equal(new float[] { 0, 1, -0.5f, 1.5f }, mse.Backward().Span.ToArray());
    }

    [Fact]
    public void FiniteDifferences()
    {
        var mse = new MeanSquaredError();
        var p = GradientCheck.Random(new Random(1), 3, 4);
        var t = GradientCheck.Random(new Random(2), 3, 4);
        mse.Forward(p, t);
        var g = mse.Backward().Clone();
        GradientCheck.CheckLoss(p, g, () => mse.Forward(p, t), atol: 1e-5);
    }

    [Fact]
    public void ErrorsAreClear()
    {
        var e = Assert.Throws<ShapeException>(() => new MeanSquaredError().Forward(new Tensor(2, 3), new Tensor(3, 2)));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Throws<InvalidOperationException>(() => new MeanSquaredError().Backward());
    }
}
