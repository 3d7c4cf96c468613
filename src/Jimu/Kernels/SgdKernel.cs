using System.Runtime.CompilerServices;

namespace Jimu.Kernels;

/// <summary>
/// <see cref="SgdUpdate.Step"/> over a large tensor, split into contiguous ranges across the threads: the update is
/// elementwise, so the result does not depend on the split. Small tensors run on the caller.
/// </summary>
internal static class SgdKernel
{
    private const int MinParallelLength = 1 << 16, Blocks = 16;

    /// <summary>One step over the first <paramref name="length"/> elements; <paramref name="buffer"/> is unused without momentum.</summary>
    public static void Step(ComputeContext ctx, float[] w, float[] grad, float[] buffer, int length,
        float lr, float momentum, float weightDecay, bool nesterov, bool first)
    {
        if (length < MinParallelLength)
        {
            SgdUpdate.Step(w.AsSpan(0, length), grad.AsSpan(0, length), momentum != 0f ? buffer.AsSpan(0, length) : default,
                lr, momentum, weightDecay, nesterov, first);
            return;
        }
        var job = new Job(w, grad, buffer, length, lr, momentum, weightDecay, nesterov, first);
        ctx.For(Blocks, ref job);
    }

    private readonly struct Job(float[] w, float[] grad, float[] buffer, int length,
        float lr, float momentum, float weightDecay, bool nesterov, bool first) : IParallelJob
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int block, ComputeContext lane)
        {
            var (from, to) = BatchSplit.ElementRange(length, Blocks, block);
            SgdUpdate.Step(w.AsSpan(from, to - from), grad.AsSpan(from, to - from),
                momentum != 0f ? buffer.AsSpan(from, to - from) : default, lr, momentum, weightDecay, nesterov, first);
        }
    }
}
