using Jimu.Kernels;
using Jimu.Models;
using Jimu.Tensors;
using Jimu.Tests.Kernels;

namespace Jimu.Tests.Models;

/// <summary>
/// An inference pass that its <see cref="ParallelChoice"/> runs on the caller alone gives the same bits as one
/// shared with the workers: the work is split alike, only the threads that run the pieces differ.
/// </summary>
public class InferenceSharingTests
{
    private static Tensor Images(int n)
    {
        var rng = new Random(11);
        var x = new Tensor(n, 1, 28, 28);
        var s = x.Span;
        for (int i = 0; i < s.Length; i++) s[i] = (float)rng.NextDouble();
        return x;
    }

    [Theory]
    [InlineData("vgg3", 1)]
    [InlineData("mnist-tf", 1)]
    [InlineData("vgg3", 3)]
    public void A_pass_run_inline_equals_a_shared_pass_bit_for_bit(string arch, int batch)
    {
        var x = Images(batch);
        using var shared = Model.Create(Architecture.Resolve(arch), seed: 1);
        shared.Threads = 2;
        shared.Network.Training = false;
        // A new choice times its first calls shared.
        Assert.False(shared.Network.ChoiceFor(batch).NextInline());
        float[] expected = shared.Network.Forward(x).Span.ToArray();
        Assert.Equal(1, shared.Network.Context.LiveWorkers);

        using var alone = Model.Create(Architecture.Resolve(arch), seed: 1);
        alone.Threads = 2;
        alone.Network.Training = false;
        var choice = alone.Network.ChoiceFor(batch);
        for (int i = 0; i < 2 * ParallelChoice.Sample; i++) choice.Record(choice.NextInline() ? 1 : 1000);
        Assert.True(choice.Inline);
        for (int r = 0; r < 5; r++) Assert.Equal(expected, alone.Network.Forward(x).Span.ToArray());
        Assert.Equal(0, alone.Network.Context.LiveWorkers); // every pass ran on the caller
    }

    [Fact]
    public void Training_passes_are_always_shared()
    {
        using var model = Model.Create(Architecture.Resolve("mnist-tf"), seed: 1);
        model.Threads = 2;
        model.Network.Training = true;
        var choice = model.Network.ChoiceFor(2);
        for (int i = 0; i < 2 * ParallelChoice.Sample; i++) choice.Record(choice.NextInline() ? 1 : 1000);
        model.Network.Forward(Images(2));
        Assert.Equal(1, model.Network.Context.LiveWorkers);
    }

    [Fact]
    public void A_new_context_forgets_the_choices()
    {
        using var model = Model.Create(Architecture.Resolve("mnist-tf"), seed: 1);
        model.Threads = 2;
        var before = model.Network.ChoiceFor(1);
        Assert.Same(before, model.Network.ChoiceFor(1));
        model.Threads = 1;
        Assert.NotSame(before, model.Network.ChoiceFor(1));
    }
}
