using Jimu.Layers;
using Jimu.Tensors;

namespace Jimu.Tests.Layers;

public class ActivationTests
{
    private static Tensor AwayFromZero(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        var x = new Tensor(shape);
        for (int i = 0; i < x.Length; i++) x.Data[i] = (float)((0.1 + 2 * rng.NextDouble()) * (rng.Next(2) == 0 ? -1 : 1));
        return x;
    }

    [Fact]
    public void LeakyRelu_KnownValuesAndGradient()
    {
        var l = new LeakyRelu(0.2);
        var y = l.Forward(Tensor.FromArray([-2, -0.5f, 0, 3], 1, 4));
        Assert.Equal(new[] { -0.4f, -0.1f, 0, 3 }, y.Span.ToArray());
        var dx = l.Backward(Tensor.FromArray([1, 1, 1, 1], 1, 4))!;
        Assert.Equal(new[] { 0.2f, 0.2f, 0.2f, 1 }, dx.Span.ToArray()); // at 0 the slope is s, as PyTorch
        GradientCheck.Check(new LeakyRelu(0.05), AwayFromZero(1, 3, 4, 5));
    }

    [Fact]
    public void Sigmoid_KnownValuesAndGradient()
    {
        var y = new Sigmoid().Forward(Tensor.FromArray([0, 2], 1, 2));
        Assert.Equal(0.5f, y.Data[0]);
        Assert.Equal(1 / (1 + Math.Exp(-2)), y.Data[1], 6);
        GradientCheck.Check(new Sigmoid(), AwayFromZero(2, 3, 4, 5));
    }

    [Fact]
    public void Tanh_KnownValuesAndGradient()
    {
        var y = new Tanh().Forward(Tensor.FromArray([0, 1], 1, 2));
        Assert.Equal(0f, y.Data[0]);
        Assert.Equal(Math.Tanh(1), y.Data[1], 6);
        GradientCheck.Check(new Tanh(), AwayFromZero(3, 3, 4, 5));
    }

    [Fact]
    public void GlobalAvgPool_KnownValuesAndGradient()
    {
        var g = new GlobalAvgPool2d();
        var y = g.Forward(Tensor.FromArray([1, 2, 3, 4, 10, 20, 30, 40], 1, 2, 2, 2));
        Assert.Equal(new[] { 1, 2 }, y.Shape.ToArray());
        Assert.Equal(new[] { 2.5f, 25f }, y.Span.ToArray());
        var dx = g.Backward(Tensor.FromArray([4, 8], 1, 2))!;
        Assert.Equal(new[] { 1f, 1, 1, 1, 2, 2, 2, 2 }, dx.Span.ToArray());
        GradientCheck.Check(new GlobalAvgPool2d(), GradientCheck.Random(new Random(4), 2, 3, 5, 4));
        Assert.Throws<ShapeException>(() => g.Forward(new Tensor(2, 3)));
    }
}
