using Jimu.Layers;
using Jimu.Tensors;

namespace Jimu.Tests.Layers;

public class FlattenTests
{
    [Fact]
    public void FlattensInCHWOrderAndReshapesTheGradientBack()
    {
        var x = GradientCheck.Random(new Random(1), 2, 3, 4, 5);
        var f = new Flatten();
        var y = f.Forward(x);
        Assert.Equal(new[] { 2, 60 }, y.Shape.ToArray());
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 3; c++)
                for (int h = 0; h < 4; h++)
                    for (int w = 0; w < 5; w++)
                        Assert.Equal(x[n, c, h, w], y[n, (c * 4 + h) * 5 + w]);
        var dy = GradientCheck.Random(new Random(2), 2, 60);
        var dx = f.Backward(dy)!;
        Assert.Equal(new[] { 2, 3, 4, 5 }, dx.Shape.ToArray());
        Assert.Equal(dy.Span.ToArray(), dx.Span.ToArray());
    }

    [Fact]
    public void FiniteDifferences() => GradientCheck.Check(new Flatten(), GradientCheck.Random(new Random(3), 2, 2, 3, 3));

    [Fact]
    public void ReusesItsViewsForTheSameInput()
    {
        var f = new Flatten();
        var x = new Tensor(2, 3, 2, 2);
        var dy = new Tensor(2, 12);
        Assert.Same(f.Forward(x), f.Forward(x));
        Assert.Same(f.Backward(dy), f.Backward(dy));
        f.InputGradientRequired = false;
        Assert.Null(f.Backward(dy));
    }

    [Fact]
    public void ShapesAndErrors()
    {
        var f = new Flatten("flat");
        Assert.Equal(new[] { 64, 3136 }, f.OutputShape([64, 64, 7, 7]));
        Assert.Equal(new[] { 5, 7 }, f.OutputShape([5, 7]));
        var e = Assert.Throws<ShapeException>(() => f.Forward(new Tensor(10)));
        Assert.Contains("Flatten 'flat'", e.Message);
        Assert.Throws<InvalidOperationException>(() => new Flatten().Backward(new Tensor(1, 4)));
        f.Forward(new Tensor(2, 3, 2, 2));
        Assert.Throws<ShapeException>(() => f.Backward(new Tensor(2, 11)));
    }
}
