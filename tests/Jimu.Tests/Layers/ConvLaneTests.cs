using Jimu.Kernels;
using Jimu.Layers;

namespace Jimu.Tests.Layers;

/// <summary>
/// Which lane runs what in a convolution's training pass (forward, then both gradients) on 2 threads, batch 64:
/// the deterministic stand-in for "each core keeps its own images' data". With stealing off, every item runs on its
/// home lane, and each strategy cuts every job over activations into the two image halves of
/// <see cref="BatchSplit.Range"/> (the weight gradient through <see cref="ImageGroups"/>, whose part t is the same
/// images); only jobs over weights (Winograd's U, the reduction of the groups' dW) are cut otherwise.
/// </summary>
public class ConvLaneTests
{
    public static TheoryData<string, int, int, int, int, bool, string[]> Cases() => new()
    {
        // mnist-tf's conv2: Winograd F(4×4, 5×5).
        {
            "Winograd", 32, 64, 14, 5, true,
            [
                "WinogradForward.WeightsJob 2/2", "WinogradForward.ImagesJob 2/2",          // forward: U by rows, then images
                "WinogradWeightGradient.GroupsJob 2/2", "WinogradWeightGradient.FinishJob 2/2", // dW: image groups, then by output channels
                "WinogradForward.WeightsJob 2/2", "WinogradForward.ImagesJob 2/2",          // dx: rotated U, then images
            ]
        },
        // vgg3's 3×3 layers: Winograd F(4×4, 3×3).
        {
            "Winograd", 32, 32, 28, 3, true,
            [
                "WinogradForward.WeightsJob 2/2", "WinogradForward.ImagesJob 2/2",
                "WinogradWeightGradient.GroupsJob 2/2", "WinogradWeightGradient.FinishJob 2/2",
                "WinogradForward.WeightsJob 2/2", "WinogradForward.ImagesJob 2/2",
            ]
        },
        // mnist-tf's conv1: the vectorised direct convolution (no input gradient).
        { "Vectorized", 1, 32, 28, 5, false, ["ConvVectorized.ForwardJob 2/2", "ConvVectorized.BackwardJob 2/2"] },
        // im2col, both gradients in one pass.
        { "Im2Col", 8, 16, 12, 3, true, ["ConvIm2Col.ForwardJob 2/2", "ConvIm2Col.BackwardJob 2/2", "ConvIm2Col.FinishJob 2/2"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_job_over_images_is_cut_into_the_two_image_halves(string algorithm, int channels, int outChannels, int size, int kernel,
        bool inputGradient, string[] expected)
    {
        var conv = new Conv2D(channels, outChannels, kernel, Padding.Symmetric(kernel / 2), algorithm: Enum.Parse<ConvAlgorithm>(algorithm))
            { InputGradientRequired = inputGradient };
        var g = ConvGeometry.Create("conv", channels, size, size, kernel, kernel, 1, 1, Padding.Symmetric(kernel / 2));
        if (ConvStrategies.Resolve(conv.Algorithm, g, inputGradient).Algorithm != conv.Algorithm)
            Assert.Skip($"{algorithm} does not run this shape on this machine (it needs vector instructions).");
        Jimu.Models.Initializer.Initialize(conv, new Random(1));
        var rng = new Random(2);
        var x = GradientCheck.Random(rng, 64, channels, size, size);
        var dy = GradientCheck.Random(rng, 64, outChannels, size, size);
        using var ctx = new ComputeContext(2) { NoStealing = true };
        conv.Context = ctx;
        void Pass()
        {
            conv.Forward(x);
            conv.Backward(dy);
            conv.Weight.MarkChanged(); // as an optimizer step does: U is made again
        }
        Pass();
        var trace = new LaneTrace(4096);
        ctx.Trace = trace;
        Pass();
        ctx.Trace = null;

        Assert.False(trace.Overflowed);
        var jobs = trace.Jobs.ToArray();
        Assert.Equal(expected, jobs.Select(j => $"{Short(j.Kind)} {j.Count}/{j.Lanes}").ToArray());
        // Item t of T ran on lane t: with one item a lane, images [32t, 32t + 32) stay on lane t from job to job.
        foreach (var item in trace.Items) Assert.Equal(item.Index, item.Lane);
        Assert.Equal(jobs.Sum(j => j.Count), trace.Items.Length);
        var groups = new ImageGroups(64, 2);
        for (int t = 0; t < 2; t++)
        {
            var (first, last) = groups.GroupsOfPart(t);
            Assert.Equal(BatchSplit.Range(64, t, 2), (groups.Images(first).Start, groups.Images(last - 1).End));
        }
    }

    private static string Short(Type kind) => $"{Bare(kind.DeclaringType?.Name ?? "")}.{Bare(kind.Name)}";

    // A generic type's name without its arity ("WinogradForward`3" → "WinogradForward").
    private static string Bare(string name) => name.IndexOf('`') is var tick and >= 0 ? name[..tick] : name;
}
