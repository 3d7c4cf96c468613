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
    /// <summary>The jobs of one traced training step on 2 threads, batch 64.</summary>
    private static (LaneTrace Trace, Model Model) TracedStep(string arch = "mnist-tf")
    {
        var model = Model.Create(BuiltIns.TryGet(arch)!, seed: 3);
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
        static string Plain(string name) => name.Split('`')[0];
        return $"{Plain(kind.DeclaringType?.Name ?? "")}.{Plain(kind.Name)}";
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
        string[] mine = ["PoolParallel", "GemmDriver", "GemmDepth", "SparseGemm", "SgdKernel", "ReluKernel", "GemmSmallM"];
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
            "GemmDepth.SumRowsJob 2/2",        // … summed by image range
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

    [Fact]
    public void Vgg3s_dense_linear_backward_keeps_the_weight_rows_too()
    {
        Assert.SkipUnless(SparseGemm.Supported, "the step's shapes are those of the vector paths");
        var (trace, model) = TracedStep("vgg3");
        using var _ = model;
        string[] mine = ["PoolParallel", "GemmDriver", "GemmDepth", "SparseGemm", "SgdKernel", "ReluKernel", "GemmSmallM"];
        var seen = trace.Jobs.ToArray().Where(j => mine.Contains(j.Kind.DeclaringType?.Name))
            .Select(j => $"{Short(j.Kind)} {j.Count}/{j.Lanes}").ToArray();
        // vgg3's fc1 (3136→256, no dropout behind it) has a dense output gradient: the packed GEMM with the same cuts.
        string[] expected =
        [
            "ReluKernel.Job 16/2",             // relu1: element blocks 0-7 are images 0-31
            "PoolParallel.MaxForwardJob 2/2",  // pool1 (with relu2)
            "ReluKernel.Job 16/2",             // relu3
            "PoolParallel.MaxForwardJob 2/2",  // pool2 (with relu4)
            "GemmDriver.Chunks 2/2",           // fc1 forward, by output features
            "GemmDriver.Chunks 2/2",           // fc1 dW, by rows
            "GemmDepth.GroupsJob 2/2",         // fc1 dx, by weight rows
            "GemmDepth.SumRowsJob 2/2",        // … summed by image range
            "PoolParallel.MaxBackwardJob 2/2", // pool2
            "ReluKernel.Job 16/2",             // relu3
            "PoolParallel.MaxBackwardJob 2/2", // pool1
            "ReluKernel.Job 16/2",             // relu1
            "SgdKernel.Job 16/2",              // conv4's weight, by output channels
            "SgdKernel.Job 16/2",              // fc1's weight, by rows
        ];
        Assert.Equal(expected, seen);
        Assert.Equal((true, 2), GemmDriver.Split(2, 64, 256, 3136, GemmSplit.Columns));
        Assert.False(GemmDriver.Split(2, 256, 3136, 64, GemmSplit.Rows).SplitN);
    }
}
