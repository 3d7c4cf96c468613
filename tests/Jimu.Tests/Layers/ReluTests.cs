using Jimu.Layers;

namespace Jimu.Tests.Layers;

public class ReluTests
{
    [Fact]
    public void ForwardAndBackwardOnKnownValues()
    {
        var r = new Relu();
        var y = r.Forward(Jimu.Tensors.Tensor.FromArray([-2, -0.5f, 0, 0.5f, 3], 1, 5));
        Assert.Equal(new float[] { 0, 0, 0, 0.5f, 3 }, y.Span.ToArray());
        var dx = r.Backward(Jimu.Tensors.Tensor.FromArray([1, 2, 3, 4, 5], 1, 5))!;
        Assert.Equal(new float[] { 0, 0, 0, 4, 5 }, dx.Span.ToArray());
    }

    [Fact]
    public void FiniteDifferencesAwayFromZero()
    {
        // |x| ≥ 0.1 > h, so no perturbation crosses the kink at 0.
        var rng = new Random(1);
        var x = new Jimu.Tensors.Tensor(3, 4, 5);
        for (int i = 0; i < x.Length; i++)
            x.Data[i] = (float)((0.1 + rng.NextDouble()) * (rng.Next(2) == 0 ? -1 : 1));
        GradientCheck.Check(new Relu(), x);
    }
}
