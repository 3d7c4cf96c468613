using Jimu.Kernels;
using Jimu.Losses;
using Jimu.Models;
using Jimu.Training;

namespace Jimu.Tests.Training;

/// <summary>
/// Which lane runs what in a training step: the deterministic stand-in for "each core keeps its own data from layer
/// to layer". With stealing off (so timing cannot move an item), every item runs on its home lane, and the
/// non-convolution kernels of mnist-tf cut their jobs so that home lane t gets image range t
/// (<see cref="BatchSplit.Range"/>) or the t-th range of fc1's weight rows, in every layer and in the optimizer.
/// </summary>
public class StepLaneTests
{
    /// <summary>The jobs of one traced mnist-tf step on 2 threads, batch 64.</summary>
    private static (LaneTrace Trace, Model Model) TracedStep()
    {
        var model = Model.Create(BuiltIns.MnistTf, seed: 3);
        model.Threads = 2;
        var net = model.Network;
        var x = GradientCheck.Random(new Random(1), [64, .. net.InputShape]);
        var labels = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();
        var loss = new SoftmaxCrossEntropy();
        var sgd = new Sgd(net.Parameters, 0.01f, 0.9f, 5e-4f) { Context = net.Context };
        net.Training = true;
        void Step()
        {
            loss.Forward(net.Forward(x), labels);
            net.Backward(loss.Backward());
            sgd.Step();
        }
        Step();
        var trace = new LaneTrace(1 << 14);
        net.Context.NoStealing = true;
        net.Context.Trace = trace;
        Step();
        net.Context.Trace = null;
        Assert.False(trace.Overflowed);
        return (trace, model);
    }

    private static string Short(Type kind)
    {
        string name = kind.IsGenericType ? kind.Name[..kind.Name.IndexOf('`')] : kind.Name;
        return $"{kind.DeclaringType?.Name}.{name}";
    }

    [Fact]
    public void Every_item_of_a_step_runs_on_its_home_lane()
    {
        var (trace, model) = TracedStep();
        using var _ = model;
        var jobs = trace.Jobs.ToArray();
        Assert.NotEmpty(jobs);
        foreach (var item in trace.Items)
        {
            var job = jobs[item.Job];
            Assert.Equal(Ranks(item.Index, job.Count, job.Lanes), item.Lane);
        }
        Assert.Equal(jobs.Sum(j => j.Count), trace.Items.Length);
    }

    private static int Ranks(int item, int count, int lanes) => Jimu.Tests.Kernels.WorkerPoolHomeTests.HomeLane(item, count, lanes);

    [Fact]
    public void The_non_convolution_jobs_of_mnist_tf_split_by_image_range_or_by_fc1_weight_rows()
    {
        Assert.SkipUnless(SparseGemm.Supported, "fc1's backward runs the dense GEMM without vectors");
        var (trace, model) = TracedStep();
        using var _ = model;
        string[] mine = ["PoolParallel", "GemmDriver", "SparseGemm", "SgdKernel", "ReluKernel", "GemmSmallM"];
        var seen = trace.Jobs.ToArray().Where(j => mine.Contains(j.Kind.DeclaringType?.Name))
            .Select(j => $"{Short(j.Kind)} {j.Count}/{j.Lanes}").ToArray();
        // Two parts on two lanes: item t is image range t (the pools, the dx sums), fc1's output features and weight
        // rows half t (forward columns, dW rows, dx's depth group); the SGD step's 16 element blocks, 8 a lane.
        string[] expected =
        [
            "PoolParallel.MaxForwardJob 2/2",  // pool1 (with relu1)
            "PoolParallel.MaxForwardJob 2/2",  // pool2 (with relu2)
            "GemmDriver.Chunks 2/2",           // fc1 forward, by output features
            "SparseGemm.BlocksJob 2/2",        // fc1 dW, by rows
            "SparseGemm.DepthJob 2/2",         // fc1 dx, by weight rows
            "SparseGemm.SumRowsJob 2/2",       // … summed by image range
            "PoolParallel.MaxBackwardJob 2/2", // pool2
            "PoolParallel.MaxBackwardJob 2/2", // pool1
            "SgdKernel.Job 16/2",              // conv2's weight, by output channels
            "SgdKernel.Job 16/2",              // fc1's weight, by rows
        ];
        Assert.Equal(expected, seen);
        var (splitN, chunks) = GemmDriver.Split(2, 64, 512, 3136);
        Assert.True(splitN, "fc1's forward product is cut by output features");
        Assert.Equal(2, chunks);
    }
}
