using Jimu.Losses;
using Jimu.Models;
using Jimu.Training;

namespace Jimu.Tests.Models;

/// <summary>
/// Training steps of every built-in network give the same bits on 1, 2 and 3 threads: every sum over images is formed
/// in an order fixed by the batch, never by the thread count (the convolutions' weight gradients over fixed image
/// groups, BatchNorm's sums per plane, the Linear layers' per-element chains).
/// </summary>
public class ThreadCountDeterminismTests
{
    public static TheoryData<string> Networks => new() { "mnist-tf", "lenet5", "mnist-tf-bn", "bn-cnn", "vgg3" };

    [Theory]
    [MemberData(nameof(Networks))]
    public void Training_steps_give_the_same_bits_on_any_number_of_threads(string name)
    {
        var one = Steps(name, 1);
        foreach (int threads in new[] { 2, 3 })
        {
            var more = Steps(name, threads);
            for (int p = 0; p < one.Length; p++)
                Assert.True(one[p].AsSpan().SequenceEqual(more[p]), $"{name}: parameter {p} after 3 steps differs on {threads} threads from 1 thread");
        }
    }

    // The parameters after three SGD steps (momentum, weight decay; dropout in training) on a batch of 37 images:
    // groups of uneven size, split unevenly over 2 and 3 threads.
    private static float[][] Steps(string name, int threads)
    {
        using var model = Model.Create(BuiltIns.TryGet(name)!, seed: 5);
        model.Threads = threads;
        var net = model.Network;
        var rng = new Random(9);
        var x = GradientCheck.Random(rng, [37, .. net.InputShape]);
        var labels = Enumerable.Range(0, 37).Select(i => i % net.OutputShape[^1]).ToArray();
        var loss = new SoftmaxCrossEntropy();
        var sgd = new Sgd(net.Parameters, 0.01f, 0.9f, 5e-4f) { Context = net.Context };
        net.Training = true;
        for (int step = 0; step < 3; step++)
        {
            loss.Forward(net.Forward(x), labels);
            net.Backward(loss.Backward());
            sgd.Step();
        }
        return net.Parameters.Select(p => p.Parameter.Value.Span.ToArray()).ToArray();
    }
}
