using Jimu.Losses;
using Jimu.Models;
using Jimu.Tensors;
using Jimu.Training;

namespace Jimu.Tests.Training;

/// <summary>Runs alone: it counts the managed allocations of every thread.</summary>
[CollectionDefinition(nameof(AllocationCollection), DisableParallelization = true)]
public sealed class AllocationCollection;

[Collection(nameof(AllocationCollection))]
public class AllocationTests
{
    /// <summary>Every network of the benchmark suite (<c>jimu bench suite</c>), on one thread and on two.</summary>
    public static TheoryData<string, int> SuiteNetworks()
    {
        var data = new TheoryData<string, int>();
        foreach (var name in BuiltIns.Suite)
        {
            data.Add(name, 1);
            data.Add(name, 2);
        }
        // And a downsampling network: stride-2 convolutions on their fast path.
        data.Add(Models.StridedNetworkTests.Strided.Name, 1);
        data.Add(Models.StridedNetworkTests.Strided.Name, 2);
        return data;
    }

    [Theory, MemberData(nameof(SuiteNetworks))]
    public void Training_and_inference_steps_allocate_nothing_after_warm_up(string arch, int threads)
    {
        using var model = Model.Create(BuiltIns.TryGet(arch) ?? Models.StridedNetworkTests.Strided, seed: 3);
        model.Threads = threads;
        {
            var net = model.Network;
            var rng = new Random(1);
            var x = GradientCheck.Random(rng, [8, .. net.InputShape]);
            var labels = Enumerable.Range(0, 8).Select(i => i % 10).ToArray();
            var loss = new SoftmaxCrossEntropy();
            var sgd = new Sgd(net.Parameters, 0.01f, 0.9f, 5e-4f) { Context = net.Context };
            void Step()
            {
                loss.Forward(net.Forward(x), labels);
                net.Backward(loss.Backward());
                sgd.Step();
            }
            net.Training = true;
            for (int i = 0; i < 30; i++) Step();
            // The runtime itself (tiered JIT on a background thread) may allocate now and then: our code
            // allocates in every window, so the least of several windows tells.
            long perStep = MinimumAllocated(Step);
            if (perStep != 0)
            {
                long b0 = GC.GetTotalAllocatedBytes(true);
                var logits = net.Forward(x);
                long b1 = GC.GetTotalAllocatedBytes(true);
                loss.Forward(logits, labels);
                long b2 = GC.GetTotalAllocatedBytes(true);
                net.Backward(loss.Backward());
                long b3 = GC.GetTotalAllocatedBytes(true);
                sgd.Step();
                long b4 = GC.GetTotalAllocatedBytes(true);
                Assert.Fail($"a training step allocated {perStep} bytes: forward {b1 - b0}, loss {b2 - b1}, backward {b3 - b2}, optimizer {b4 - b3}; per layer: {PerLayer(net, x)}");
            }

            net.Training = false;
            for (int i = 0; i < 30; i++) net.Forward(x);
            Assert.Equal(0, MinimumAllocated(() => net.Forward(x)));
        }
    }

    private static long MinimumAllocated(Action action)
    {
        long least = long.MaxValue;
        for (int w = 0; w < 5; w++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            action();
            least = Math.Min(least, GC.GetTotalAllocatedBytes(precise: true) - before);
        }
        return least;
    }

    private static string PerLayer(Sequential net, Tensor x)
    {
        var parts = new List<string>();
        var h = x;
        var outputs = new List<Tensor>();
        foreach (var layer in net.Layers)
        {
            long b = GC.GetTotalAllocatedBytes(true);
            h = layer.Forward(h);
            parts.Add($"{layer.Name}.forward {GC.GetTotalAllocatedBytes(true) - b}");
            outputs.Add(h);
        }
        Tensor? g = h;
        for (int i = net.Layers.Count - 1; i >= 0 && g is not null; i--)
        {
            long b = GC.GetTotalAllocatedBytes(true);
            g = net.Layers[i].Backward(g);
            parts.Add($"{net.Layers[i].Name}.backward {GC.GetTotalAllocatedBytes(true) - b}");
        }
        return string.Join(", ", parts);
    }
}
