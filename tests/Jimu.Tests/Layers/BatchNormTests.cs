using Jimu.Layers;
using Jimu.Tensors;

namespace Jimu.Tests.Layers;

public class BatchNormTests
{
    private static Tensor RandomInput(int seed, params int[] shape)
    {
        var x = GradientCheck.Random(new Random(seed), shape);
        for (int i = 0; i < x.Length; i++) x.Data[i] = x.Data[i] * 2 + 0.5f; // mean ≠ 0, var ≠ 1
        return x;
    }

    private static void RandomAffine(BatchNorm bn, int seed)
    {
        var rng = new Random(seed);
        for (int i = 0; i < bn.Channels; i++)
        {
            bn.Weight.Value.Data[i] = (float)(0.5 + rng.NextDouble());
            bn.Bias.Value.Data[i] = (float)(rng.NextDouble() - 0.5);
        }
    }

    [Fact]
    public void Training_NormalisesWithBatchStatistics_AndUpdatesRunningStatsUnbiased()
    {
        // One channel, values 1, 2, 3, 6 (N = 2, H·W = 2): μ = 3, biased σ² = 3.5, unbiased 14/3.
        var bn = new BatchNorm2d(1);
        var x = Tensor.FromArray([1, 2, 3, 6], 2, 1, 1, 2);
        var y = bn.Forward(x);
        double s = Math.Sqrt(3.5 + 1e-5);
        Assert.Equal(new[] { -2 / s, -1 / s, 0, 3 / s }, y.Span.ToArray().Select(v => (double)v), new Tolerance(1e-6));
        Assert.Equal(0.1f * 3, bn.RunningMean.Data[0], 6);
        Assert.Equal(0.9f * 1 + 0.1f * 14f / 3, bn.RunningVar.Data[0], 6);
        Assert.Equal(1, bn.BatchesTracked);

        bn.Training = false;
        var e = bn.Forward(x);
        double rs = Math.Sqrt(bn.RunningVar.Data[0] + 1e-5);
        Assert.Equal((1 - 0.3) / rs, e.Data[0], 5);
        Assert.Equal(1, bn.BatchesTracked); // evaluation leaves the statistics alone
    }

    [Fact]
    public void BatchNorm2d_FiniteDifferences_Training()
    {
        var bn = new BatchNorm2d(3);
        RandomAffine(bn, 2);
        GradientCheck.Check(bn, RandomInput(1, 4, 3, 3, 3), h: 1e-2f, rtol: 2e-2, atol: 2e-3);
    }

    [Fact]
    public void BatchNorm2d_FiniteDifferences_Evaluation()
    {
        var bn = new BatchNorm2d(3);
        RandomAffine(bn, 3);
        bn.Forward(RandomInput(5, 4, 3, 3, 3)); // running statistics ≠ (0, 1)
        bn.Training = false;
        GradientCheck.Check(bn, RandomInput(1, 4, 3, 3, 3));
    }

    [Fact]
    public void BatchNorm1d_FiniteDifferences_FeaturesAndChannels()
    {
        var bn = new BatchNorm1d(5);
        RandomAffine(bn, 4);
        GradientCheck.Check(bn, RandomInput(1, 6, 5));
        var bn3 = new BatchNorm1d(2);
        RandomAffine(bn3, 5);
        GradientCheck.Check(bn3, RandomInput(2, 3, 2, 4));
    }

    [Fact]
    public void LargeTensor_ThreadedPassesAgreeWithOneThread()
    {
        // Above the threading threshold: the split over channels must not change a bit.
        var x = RandomInput(9, 16, 8, 20, 20);
        var dy = RandomInput(10, 16, 8, 20, 20);
        float[] Run(int threads)
        {
            using var context = new ComputeContext(threads);
            {
                var bn = new BatchNorm2d(8) { InputGradientRequired = true, Context = context };
                var y = bn.Forward(x).Span.ToArray();
                var dx = bn.Backward(dy)!.Span.ToArray();
                return [.. y, .. dx, .. bn.Weight.Grad.Span, .. bn.Bias.Grad.Span, .. bn.RunningVar.Span];
            }
        }
        Assert.Equal(Run(1), Run(2));
    }

    [Fact]
    public void OneValuePerChannel_InTraining_IsAShapeError()
    {
        var bn = new BatchNorm1d(3);
        var e = Assert.Throws<ShapeException>(() => bn.Forward(new Tensor(1, 3)));
        Assert.Contains("more than one value per channel", e.Message);
        bn.Training = false;
        bn.Forward(new Tensor(1, 3)); // fine in evaluation
    }

    [Fact]
    public void WrongShapes_AreShapeErrors()
    {
        Assert.Throws<ShapeException>(() => new BatchNorm2d(3).Forward(new Tensor(2, 4, 2, 2)));
        Assert.Throws<ShapeException>(() => new BatchNorm2d(3).Forward(new Tensor(2, 3)));
        Assert.Throws<ShapeException>(() => new BatchNorm1d(3).Forward(new Tensor(2, 3, 2, 2)));
    }

    [Fact]
    public void Names_FollowPyTorch()
    {
        var bn = new BatchNorm2d(4, name: "bn1");
        Assert.Equal(new[] { "weight", "bias" }, bn.Parameters.Select(p => p.Name));
        Assert.Equal(new[] { "running_mean", "running_var", "num_batches_tracked" }, bn.Buffers.Select(b => b.Name));
        Assert.NotNull(bn.Buffers[2].Int64);
        Assert.Empty(bn.Buffers[2].Shape);
        Assert.All(bn.Weight.Value.Span.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(bn.RunningVar.Span.ToArray(), v => Assert.Equal(1f, v));
    }

    private sealed class Tolerance(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tol;
        public int GetHashCode(double obj) => 0;
    }
}
