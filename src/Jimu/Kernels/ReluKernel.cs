using System.Runtime.CompilerServices;

namespace Jimu.Kernels;

/// <summary>
/// ReLU forward (y = max(x, 0)) and backward (dx = y &gt; 0 ? dy : 0) over large tensors, split into contiguous
/// ranges across the threads (<see cref="Elementwise.Relu"/> and <see cref="Elementwise.ReluBackward"/> on each).
/// Small tensors run on the caller: a thread hand-off costs more than they do.
/// </summary>
internal static class ReluKernel
{
    private const int MinParallelLength = 1 << 16, Blocks = 16;

    /// <summary>y[i] = max(x[i], 0) for i &lt; length.</summary>
    public static void Forward(ComputeContext ctx, float[] x, float[] y, int length)
    {
        if (length < MinParallelLength) { Elementwise.Relu(x.AsSpan(0, length), y.AsSpan(0, length)); return; }
        var job = new Job(x, null, y, length);
        ctx.For(Blocks, ref job);
    }

    /// <summary>dx[i] = y[i] &gt; 0 ? dy[i] : 0 for i &lt; length.</summary>
    public static void Backward(ComputeContext ctx, float[] y, float[] dy, float[] dx, int length)
    {
        if (length < MinParallelLength) { Elementwise.ReluBackward(y.AsSpan(0, length), dy.AsSpan(0, length), dx.AsSpan(0, length)); return; }
        var job = new Job(y, dy, dx, length);
        ctx.For(Blocks, ref job);
    }

    /// <summary>Block i of the forward pass (no dy) or of the backward pass.</summary>
    private readonly struct Job(float[] a, float[]? dy, float[] output, int length) : IParallelJob
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int block, ComputeContext lane)
        {
            var (from, to) = BatchSplit.ElementRange(length, Blocks, block);
            if (dy is null) Elementwise.Relu(a.AsSpan(from, to - from), output.AsSpan(from, to - from));
            else Elementwise.ReluBackward(a.AsSpan(from, to - from), dy.AsSpan(from, to - from), output.AsSpan(from, to - from));
        }
    }
}
