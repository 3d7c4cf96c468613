using System.Runtime.CompilerServices;

namespace Jimu.Kernels;

/// <summary>
/// The direct pooling loops of <see cref="PoolDirect"/> (and <see cref="MaxPool2x2"/> where it applies), run over
/// image ranges (<see cref="BatchSplit"/>) on every thread of the context. Argmax indices are relative to each input
/// plane, so the ranges are independent. Per image: <c>image</c> = C·H·W inputs, <c>pooled</c> = C·OH·OW outputs.
/// </summary>
internal static class PoolParallel
{
    /// <summary>See <see cref="PoolDirect.MaxForward"/>; with <paramref name="relu"/>, then <see cref="PoolDirect.ReluOfMax"/>.</summary>
    public static void MaxForward(ComputeContext ctx, float[] x, in ConvGeometry g, int batch, float[] y, int[] argmax, bool relu)
    {
        var job = new MaxForwardJob(x, y, argmax, g, batch, BatchSplit.Parts(ctx.Threads, batch), relu);
        ctx.For(job.Parts, ref job);
    }

    /// <summary>See <see cref="PoolDirect.MaxBackward"/>.</summary>
    public static void MaxBackward(ComputeContext ctx, float[] dy, int[] argmax, in ConvGeometry g, int batch, float[] dx)
    {
        var job = new MaxBackwardJob(dy, argmax, dx, g, batch, BatchSplit.Parts(ctx.Threads, batch));
        ctx.For(job.Parts, ref job);
    }

    /// <summary>See <see cref="PoolDirect.AvgForward"/>.</summary>
    public static void AvgForward(ComputeContext ctx, float[] x, in ConvGeometry g, int batch, float[] y)
    {
        var job = new AvgForwardJob(x, y, g, batch, BatchSplit.Parts(ctx.Threads, batch));
        ctx.For(job.Parts, ref job);
    }

    /// <summary>See <see cref="PoolDirect.AvgBackward"/>.</summary>
    public static void AvgBackward(ComputeContext ctx, float[] dy, in ConvGeometry g, int batch, float[] dx)
    {
        var job = new AvgBackwardJob(dy, dx, g, batch, BatchSplit.Parts(ctx.Threads, batch));
        ctx.For(job.Parts, ref job);
    }

    private readonly struct MaxForwardJob(float[] x, float[] y, int[] argmax, ConvGeometry g, int batch, int parts, bool relu) : IParallelJob
    {
        public readonly int Parts = parts;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(batch, part, Parts);
            int n = end - start, image = g.InSize, pooled = g.Channels * g.OutPlane;
            if (n <= 0) return;
            var xs = x.AsSpan(start * image, n * image);
            var ys = y.AsSpan(start * pooled, n * pooled);
            var am = argmax.AsSpan(start * pooled, n * pooled);
            if (MaxPool2x2.Applies(g))
            {
                MaxPool2x2.Forward(xs, g, n * g.Channels, ys, am, relu);
                return;
            }
            PoolDirect.MaxForward(xs, g, n, ys, am);
            if (relu) PoolDirect.ReluOfMax(ys, am); // while this part's outputs are still in cache
        }
    }

    private readonly struct MaxBackwardJob(float[] dy, int[] argmax, float[] dx, ConvGeometry g, int batch, int parts) : IParallelJob
    {
        public readonly int Parts = parts;

        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(batch, part, Parts);
            int n = end - start, image = g.InSize, pooled = g.Channels * g.OutPlane;
            if (n > 0)
                PoolDirect.MaxBackward(dy.AsSpan(start * pooled, n * pooled), argmax.AsSpan(start * pooled, n * pooled), g, n,
                    dx.AsSpan(start * image, n * image));
        }
    }

    private readonly struct AvgForwardJob(float[] x, float[] y, ConvGeometry g, int batch, int parts) : IParallelJob
    {
        public readonly int Parts = parts;

        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(batch, part, Parts);
            int n = end - start, image = g.InSize, pooled = g.Channels * g.OutPlane;
            if (n > 0) PoolDirect.AvgForward(x.AsSpan(start * image, n * image), g, n, y.AsSpan(start * pooled, n * pooled));
        }
    }

    private readonly struct AvgBackwardJob(float[] dy, float[] dx, ConvGeometry g, int batch, int parts) : IParallelJob
    {
        public readonly int Parts = parts;

        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(batch, part, Parts);
            int n = end - start, image = g.InSize, pooled = g.Channels * g.OutPlane;
            if (n > 0) PoolDirect.AvgBackward(dy.AsSpan(start * pooled, n * pooled), g, n, dx.AsSpan(start * image, n * image));
        }
    }
}
