using System.Runtime.CompilerServices;

namespace Jimu.Kernels;

/// <summary>
/// Convolution as im2col + GEMM over an NCHW batch, split by images across the context's threads: each part
/// unfolds its own images into its own patch matrix (in the workspace of the thread running it), so the matrices
/// stay cache-sized, and accumulates the weight gradient of each of its image groups (<see cref="ImageGroups"/>);
/// the groups' gradients are then added along a fixed tree, so they have the same bits on any number of threads.
/// One image on several threads is split inside the image instead.
/// Per image n, with P = C·kh·kw and Q = OH·OW:
/// <code>
/// forward:  col[P, Q] = unfold(x_n);  y_n[O, Q] = W[O, P] · col + b
/// backward: dW[O, P] += dY_n · colᵀ;  db[O] += Σ_q dY_n[O, q];  dx_n = fold(Wᵀ · dY_n)
/// </code>
/// A 1×1 convolution at stride 1 without padding (<see cref="ConvGeometry.IsPointwise"/>) unfolds nothing: col is x_n
/// and fold is the identity, so each pass is one plain GEMM per image on the NCHW data in place.
/// Stateless: scratch comes from the context's <see cref="Workspace"/>; nothing is allocated once the shapes are seen.
/// </summary>
internal static class ConvIm2Col
{
    /// <summary>y[N, O, OH, OW] = conv(x[N, C, H, W], W[O, C, kh, kw]) + bias.</summary>
    public static void Forward(ComputeContext ctx, float[] x, float[] weight, float[]? bias, float[] y, int batch, int outChannels, in ConvGeometry g) =>
        Forward<Im2ColPatches>(ctx, x, weight, bias, y, batch, outChannels, g);

    /// <summary>Sets dW (and db when given) to the batch sums and, when <paramref name="dx"/> is given, dx to the input gradient.</summary>
    public static void Backward(ComputeContext ctx, float[] x, float[] weight, float[] dy, float[] dWeight, float[]? dBias, float[]? dx,
        int batch, int outChannels, in ConvGeometry g) =>
        Backward<Im2ColPatches>(ctx, x, weight, dy, dWeight, dBias, dx, batch, outChannels, g);

    /// <summary>Sets dx to the input gradient: dx_n = fold(Wᵀ · dY_n), images split over the threads.</summary>
    public static void BackwardInput(ComputeContext ctx, float[] weight, float[] dy, float[] dx, int batch, int outChannels, in ConvGeometry g) =>
        BackwardInput<Im2ColPatches>(ctx, weight, dy, dx, batch, outChannels, g);

    /// <summary><see cref="Forward"/> with the patch matrices made by <typeparamref name="T"/>.</summary>
    public static void Forward<T>(ComputeContext ctx, float[] x, float[] weight, float[]? bias, float[] y, int batch, int outChannels, in ConvGeometry g)
        where T : struct, IPatches
    {
        if (batch == 1 && ctx.Threads > 1)
        {
            // One image (inference latency): split the image instead of the batch. First the patch matrix by
            // input channels, then the product by blocks of 8 output channels (one micro-kernel row block).
            float[] col = x;
            if (!g.IsPointwise)
            {
                col = ctx.Workspace.Array(Scratch.Im2ColPatches, g.PatchSize * g.OutPlane);
                var unfold = new UnfoldChannelsJob<T>(x, col, g, BatchSplit.Parts(ctx.Threads, g.Channels));
                ctx.For(unfold.Parts, ref unfold);
            }
            int blocks = (outChannels + 7) / 8;
            var multiply = new MultiplyRowsJob(weight, bias, col, y, outChannels, g, blocks, BatchSplit.Parts(ctx.Threads, blocks));
            ctx.For(multiply.Parts, ref multiply);
            return;
        }
        var job = new ForwardJob<T>(x, weight, bias, y, batch, BatchSplit.Parts(ctx.Threads, batch), outChannels, g);
        ctx.For(job.Parts, ref job);
    }

    /// <summary><see cref="Backward"/> with the patch matrices made by <typeparamref name="T"/>.</summary>
    public static void Backward<T>(ComputeContext ctx, float[] x, float[] weight, float[] dy, float[] dWeight, float[]? dBias, float[]? dx,
        int batch, int outChannels, in ConvGeometry g) where T : struct, IPatches
    {
        var groups = new ImageGroups(batch, ctx.Threads);
        int pq = outChannels * g.PatchSize;
        // Each image group's dW and db, added up below along the groups' fixed tree.
        float[] dw = ctx.Workspace.Array(Scratch.PartWeightGradients, groups.Count * pq);
        double[] db = ctx.Workspace.Doubles(Scratch.PartBiasGradients, groups.Count * outChannels);
        var job = new BackwardJob<T>(x, weight, dy, dx, dw, db, groups, outChannels, g);
        ctx.For(groups.Parts, ref job);
        var finish = new FinishJob(dw, groups, dWeight, pq, BatchSplit.Parts(ctx.Threads, outChannels), g.PatchSize);
        ctx.For(finish.Parts, ref finish);
        if (dBias is not null) groups.SumDoubles(db, outChannels, dBias);
    }

    /// <summary>For a range of output channels: the rest of the groups' tree over their rows of dW, copied into dW.</summary>
    private readonly unsafe struct FinishJob(float[] groupDw, ImageGroups groups, float[] dWeight, int pq, int ranges, int patch) : IParallelJob
    {
        public readonly int Parts = ranges;

        public void Run(int range, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(pq / patch, range, Parts);
            fixed (float* slots = groupDw)
                groups.ReduceRest(slots, pq, (long)start * patch, (long)end * patch);
            groupDw.AsSpan(start * patch, (end - start) * patch).CopyTo(dWeight.AsSpan(start * patch));
        }
    }

    /// <summary><see cref="BackwardInput"/> with the patch matrices made by <typeparamref name="T"/>.</summary>
    public static void BackwardInput<T>(ComputeContext ctx, float[] weight, float[] dy, float[] dx, int batch, int outChannels, in ConvGeometry g)
        where T : struct, IPatches
    {
        var job = new InputGradientJob<T>(weight, dy, dx, batch, BatchSplit.Parts(ctx.Threads, batch), outChannels, g);
        ctx.For(job.Parts, ref job);
    }

    /// <summary>The input gradient of the images of one part, through the thread's own patch-gradient matrix.</summary>
    private readonly struct InputGradientJob<T>(float[] weight, float[] dy, float[] dx, int batch, int parts, int outChannels, ConvGeometry g) : IParallelJob
        where T : struct, IPatches
    {
        public readonly int Parts = parts;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(batch, part, Parts);
            int q = g.OutPlane, o = outChannels, inSize = g.InSize;
            for (int n = start; n < end; n++)
                InputGradientOfImage<T>(lane, weight, dy.AsSpan(n * o * q, o * q), dx.AsSpan(n * inSize, inSize), o, g);
        }
    }

    /// <summary>dx_n = fold(Wᵀ · dY_n) for one image, through the thread's own patch-gradient matrix.</summary>
    private static void InputGradientOfImage<T>(ComputeContext lane, float[] weight, Span<float> dyn, Span<float> dxn, int outChannels, in ConvGeometry g)
        where T : struct, IPatches
    {
        int p = g.PatchSize, q = g.OutPlane;
        // A 1×1 convolution's patch gradient is its input gradient: the product goes straight there.
        if (g.IsPointwise)
        {
            Gemm.Multiply(lane, p, q, outChannels, weight, p, true, dyn, q, false, dxn, q);
            return;
        }
        var dcol = lane.Workspace.Span(Scratch.Im2ColPatchGradient, p * q);
        Gemm.Multiply(lane, p, q, outChannels, weight, p, true, dyn, q, false, dcol, q);
        T.Fold(lane, dcol, g, dxn);
    }

    /// <summary>The patch matrix of image <paramref name="xn"/>: the image itself for a 1×1 convolution, else unfolded into <paramref name="scratch"/>.</summary>
    private static Span<float> Patches<T>(ComputeContext lane, Span<float> xn, in ConvGeometry g, Span<float> scratch) where T : struct, IPatches
    {
        if (g.IsPointwise) return xn;
        T.Unfold(lane, xn, g, scratch);
        return scratch;
    }

    /// <summary>One image, a range of channels [c0, c1): their rows of the patch matrix, col[c·kh·kw + (i·kw + j), :].</summary>
    private readonly struct UnfoldChannelsJob<T>(float[] x, float[] col, ConvGeometry g, int parts) : IParallelJob where T : struct, IPatches
    {
        public readonly int Parts = parts;

        public void Run(int part, ComputeContext lane)
        {
            var (c0, c1) = BatchSplit.Range(g.Channels, part, Parts);
            int rows = g.KernelH * g.KernelW, plane = g.InH * g.InW, q = g.OutPlane;
            T.Unfold(lane, x.AsSpan(c0 * plane, (c1 - c0) * plane), g with { Channels = c1 - c0 },
                col.AsSpan(c0 * rows * q, (c1 - c0) * rows * q));
        }
    }

    /// <summary>One image, a range of blocks of 8 output channels [o0, o1): y[o0..o1, :] = W[o0..o1, :] · col + b[o0..o1].</summary>
    private readonly struct MultiplyRowsJob(float[] weight, float[]? bias, float[] col, float[] y, int outChannels, ConvGeometry g, int blocks, int parts)
        : IParallelJob
    {
        public readonly int Parts = parts;

        public void Run(int part, ComputeContext lane)
        {
            var (b0, b1) = BatchSplit.Range(blocks, part, Parts);
            int o0 = 8 * b0, o1 = Math.Min(8 * b1, outChannels);
            if (o1 <= o0) return;
            int p = g.PatchSize, q = g.OutPlane;
            var yo = y.AsSpan(o0 * q, (o1 - o0) * q);
            Gemm.Multiply(lane, o1 - o0, q, p, weight.AsSpan(o0 * p, (o1 - o0) * p), p, false, col.AsSpan(0, p * q), q, false, yo, q);
            if (bias is not null) Elementwise.AddChannelBias(yo, bias.AsSpan(o0, o1 - o0), q);
        }
    }

    /// <summary>The images of one part of the batch, each unfolded into the thread's own patch matrix.</summary>
    private readonly struct ForwardJob<T>(float[] x, float[] weight, float[]? bias, float[] y, int batch, int parts, int outChannels, ConvGeometry g) : IParallelJob
        where T : struct, IPatches
    {
        public readonly int Parts = parts;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(batch, part, Parts);
            int p = g.PatchSize, q = g.OutPlane, o = outChannels, inSize = g.InSize;
            bool pointwise = g.IsPointwise;
            var patches = pointwise ? default : lane.Workspace.Span(Scratch.Im2ColPatches, p * q);
            for (int n = start; n < end; n++)
            {
                var yn = y.AsSpan(n * o * q, o * q);
                var col = Patches<T>(lane, x.AsSpan(n * inSize, inSize), g, patches);
                Gemm.Multiply(lane, o, q, p, weight, p, false, col, q, false, yn, q);
                if (bias is not null) Elementwise.AddChannelBias(yn, bias.AsSpan(0, o), q);
            }
        }
    }

    /// <summary>The image groups of one part: each group's dW and db (slices of the caller's per-group sums), and dx; then the part's own nodes of the groups' tree.</summary>
    private readonly unsafe struct BackwardJob<T>(float[] x, float[] weight, float[] dy, float[]? dx, float[] groupDw, double[] groupDb,
        ImageGroups groups, int outChannels, ConvGeometry g) : IParallelJob where T : struct, IPatches
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int part, ComputeContext lane)
        {
            var (first, last) = groups.GroupsOfPart(part);
            int p = g.PatchSize, q = g.OutPlane, o = outChannels, inSize = g.InSize;
            bool pointwise = g.IsPointwise;
            var patches = pointwise ? default : lane.Workspace.Span(Scratch.Im2ColPatches, p * q);
            for (int group = first; group < last; group++)
            {
                var dw = groupDw.AsSpan(group * o * p, o * p);
                var db = groupDb.AsSpan(group * o, o);
                dw.Clear();
                db.Clear();
                var (start, end) = groups.Images(group);
                for (int n = start; n < end; n++)
                {
                    var dyn = dy.AsSpan(n * o * q, o * q);
                    var col = Patches<T>(lane, x.AsSpan(n * inSize, inSize), g, patches);
                    Gemm.Multiply(lane, o, p, q, dyn, q, false, col, q, true, dw, p, accumulate: true);
                    for (int c = 0; c < o; c++) db[c] += Elementwise.Sum(dyn.Slice(c * q, q));
                    if (dx is not null) InputGradientOfImage<T>(lane, weight, dyn, dx.AsSpan(n * inSize, inSize), o, g);
                }
            }
            fixed (float* slots = groupDw)
                groups.ReduceWithin(part, slots, o * p);
        }
    }
}

/// <summary>How <see cref="ConvIm2Col"/> turns an image into its patch matrix and a patch-matrix gradient back into dx.</summary>
internal interface IPatches
{
    /// <summary>col[C·kh·kw, OH·OW] = unfold(x_n) (<see cref="Im2Col.Unfold"/>'s matrix).</summary>
    static abstract void Unfold(ComputeContext lane, ReadOnlySpan<float> xn, in ConvGeometry g, Span<float> col);

    /// <summary>dx_n = fold(dcol), set (the adjoint of Unfold); dcol may be overwritten.</summary>
    static abstract void Fold(ComputeContext lane, Span<float> dcol, in ConvGeometry g, Span<float> dxn);
}

/// <summary>The general unfold and fold (<see cref="Im2Col"/>).</summary>
internal readonly struct Im2ColPatches : IPatches
{
    public static void Unfold(ComputeContext lane, ReadOnlySpan<float> xn, in ConvGeometry g, Span<float> col) => Im2Col.Unfold(xn, g, col);

    public static void Fold(ComputeContext lane, Span<float> dcol, in ConvGeometry g, Span<float> dxn)
    {
        dxn.Clear();
        Im2Col.Fold(dcol, g, dxn);
    }
}

/// <summary>Stride 2 through phase planes (<see cref="Im2ColStride2"/>): the same matrices.</summary>
internal readonly struct Stride2Patches : IPatches
{
    public static void Unfold(ComputeContext lane, ReadOnlySpan<float> xn, in ConvGeometry g, Span<float> col) => Im2ColStride2.Unfold(lane, xn, g, col);

    public static void Fold(ComputeContext lane, Span<float> dcol, in ConvGeometry g, Span<float> dxn) => Im2ColStride2.Fold(lane, dcol, g, dxn);
}
