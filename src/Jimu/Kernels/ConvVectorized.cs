using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// Direct convolution vectorised along output rows, for stride 1 and kernels up to <see cref="MaxKernelW"/> wide:
/// L output pixels of a row per vector (L = 16, 8 or 4 lanes: written once over the width, <see cref="ISimdWidth{V}"/>),
/// each multiply-add a broadcast weight times a load of the zero-padded input, with 8 output channels in flight:
/// <code>
/// y[o][i][j..j+L]   = b[o] + Σ_{c,a,b} W[o][c][a][b] · xpad[c][i + a][j + b .. j + b + L]
/// dW[o][c][a][b]    = Σ_{n,i,j} dY[o][i][j] · xpad[c][i + a][j + b]        (L pixels per vector, summed at the end)
/// </code>
/// No patch matrix, and no GEMM whose depth would be only C·kh·kw: for layers with few input channels, such as a
/// network's first, where im2col's product is too shallow to run well. It computes no input gradient.
/// The batch is split over the threads by images (one image by rows); the weight gradient keeps an L-lane dW per
/// image group (<see cref="ImageGroups"/>: fixed by the batch size), added up along a fixed tree, so it has the same
/// bits on any number of threads.
/// With a BatchNorm after it in training (<see cref="ConvBatchNorm"/>), the forward pass also sums each output plane's
/// statistics right after its image (while the image's planes are in cache), and the weight gradient forms the BatchNorm's input gradient
/// one plane at a time into a buffer of one plane instead of reading it from memory.
/// </summary>
[SkipLocalsInit]
internal static unsafe class ConvVectorized
{
    private const int Group = 8;

    /// <summary>Frame rows are whole cache lines (16 floats), so every vector load of a row is aligned at every width.</summary>
    private const int Line = 16;

    /// <summary>The widest kernel: the backward pass keeps one accumulator per kernel column.</summary>
    public const int MaxKernelW = 8;

    /// <summary>Output rows per work item when one image is split over the threads.</summary>
    private const int RowBlock = 4;

    /// <summary>Whether geometry <paramref name="g"/> runs here: stride 1, a kernel at most 8 wide, vectors of any width.</summary>
    public static bool Supports(in ConvGeometry g) =>
        GemmMicroKernel.Selected != GemmMicroKernel.Kind.Scalar && g.StrideH == 1 && g.StrideW == 1 && g.KernelW <= MaxKernelW;

    /// <summary>The sizes of one call, and the regrouped weights and padded bias of a forward pass.</summary>
    private readonly struct Plan
    {
        public readonly ConvGeometry G;
        public readonly int OutChannels, Groups, Lanes, Chunks, FrameH, FrameW;
        // W regrouped as [o / 8][c][a][b][o % 8], zero past the last output channel, so the 8 broadcasts of a step are adjacent.
        public readonly float* Wg, Bias;
        public readonly bool HasBias;

        public Plan(in ConvGeometry g, int outChannels, int lanes, float* wg = null, float* bias = null, bool hasBias = false)
        {
            G = g; OutChannels = outChannels; Lanes = lanes; Wg = wg; Bias = bias; HasBias = hasBias;
            Groups = (outChannels + Group - 1) / Group;
            Chunks = (g.OutW + lanes - 1) / lanes;
            FrameH = g.OutH + g.KernelH - 1;
            // Rows of whole cache lines, wide enough for the padded input (L·chunks + kw − 1 columns).
            FrameW = (Chunks * lanes + g.KernelW - 1 + Line - 1) / Line * Line;
        }

        /// <summary>One copy of the padded image, C × frameH × frameW.</summary>
        public long ShiftedSize => (long)G.Channels * FrameH * FrameW;

        /// <summary>
        /// kw copies of the padded image, copy b shifted left by b columns: xpad[c][r][j + b] = frame[b][c][r][j]. Every
        /// load of L pixels at column j0 + b is then an aligned load at j0 of copy b; an unaligned 64-byte load always
        /// spans two lines, which made the weight gradient (one load per multiply-add) twice as slow with AVX-512.
        /// </summary>
        public long FrameSize => G.KernelW * ShiftedSize;

        public long DwvSize => (long)OutChannels * G.Channels * G.KernelH * G.KernelW * Lanes;
        public int Taps => G.Channels * G.KernelH * G.KernelW;
    }

    /// <summary>
    /// y[N, O, OH, OW] = conv(x[N, C, H, W], W[O, C, kh, kw]) + bias; with <paramref name="bn"/>, also each output
    /// plane's statistics sums for the BatchNorm after it (<see cref="ConvBatchNorm.PlaneSums"/>).
    /// </summary>
    public static void Forward(ComputeContext ctx, float[] x, float[] weight, float[]? bias, float[] y, int batch, int outChannels, in ConvGeometry g,
        ConvBatchNorm? bn = null)
    {
        Require(g);
        switch (GemmMicroKernel.Selected)
        {
            case GemmMicroKernel.Kind.Vector512: Forward<Simd512, Vector512<float>>(ctx, x, weight, bias, y, batch, outChannels, g, bn); break;
            case GemmMicroKernel.Kind.Vector256: Forward<Simd256, Vector256<float>>(ctx, x, weight, bias, y, batch, outChannels, g, bn); break;
            default: Forward<Simd128, Vector128<float>>(ctx, x, weight, bias, y, batch, outChannels, g, bn); break;
        }
    }

    /// <summary>
    /// Sets dW (and db when given) to the batch sums of the weight (and bias) gradients. With <paramref name="bn"/>
    /// the output gradient is the BatchNorm's input gradient, formed plane by plane from its
    /// <see cref="ConvBatchNorm.Gradient"/> (<paramref name="dy"/> is not read).
    /// </summary>
    public static void BackwardWeights(ComputeContext ctx, float[] x, float[] dy, float[] dWeight, float[]? dBias, int batch, int outChannels, in ConvGeometry g,
        ConvBatchNorm? bn = null)
    {
        Require(g);
        switch (GemmMicroKernel.Selected)
        {
            case GemmMicroKernel.Kind.Vector512: BackwardWeights<Simd512, Vector512<float>>(ctx, x, dy, dWeight, dBias, batch, outChannels, g, bn); break;
            case GemmMicroKernel.Kind.Vector256: BackwardWeights<Simd256, Vector256<float>>(ctx, x, dy, dWeight, dBias, batch, outChannels, g, bn); break;
            default: BackwardWeights<Simd128, Vector128<float>>(ctx, x, dy, dWeight, dBias, batch, outChannels, g, bn); break;
        }
    }

    /// <summary><see cref="Forward(ComputeContext, float[], float[], float[], float[], int, int, in ConvGeometry, ConvBatchNorm)"/> at width S (the tests run every width the machine has).</summary>
    internal static void Forward<S, V>(ComputeContext ctx, float[] x, float[] weight, float[]? bias, float[] y, int batch, int outChannels, in ConvGeometry g,
        ConvBatchNorm? bn = null)
        where S : struct, ISimdWidth<V> where V : struct
    {
        var sizes = new Plan(g, outChannels, S.Lanes);
        int taps = sizes.Taps, wgSize = sizes.Groups * taps * Group;
        float* wg = ctx.Workspace.Floats(Scratch.VectorizedWeights, wgSize + sizes.Groups * Group);
        RegroupWeights(weight, wg, taps, outChannels, wgSize);
        float* paddedBias = wg + wgSize;
        if (bias is not null) bias.AsSpan(0, outChannels).CopyTo(new Span<float>(paddedBias, outChannels));
        var plan = new Plan(g, outChannels, S.Lanes, wg, paddedBias, bias is not null);

        if (bn is not null)
        {
            // Image by image (the statistics are summed per plane), for one image too.
            bn.SetPivots(x, weight, bias, outChannels, g);
            var fused = new ForwardJob<S, V>(plan, x, y, batch, BatchSplit.Parts(ctx.Threads, batch), bn, bn.SumsFor(batch * outChannels));
            ctx.For(fused.Parts, ref fused);
            return;
        }
        if (batch == 1 && ctx.Threads > 1)
        {
            // One image (inference latency): pad it once, then split its rows over the threads.
            float* frame = ctx.Workspace.Floats(Scratch.VectorizedFrame, plan.FrameSize);
            PadImage(plan, x, 0, frame);
            int blocks = (g.OutH + RowBlock - 1) / RowBlock;
            var rows = new RowsJob<S, V>(plan, frame, y, blocks, BatchSplit.Parts(ctx.Threads, blocks));
            ctx.For(rows.Parts, ref rows);
            return;
        }
        var job = new ForwardJob<S, V>(plan, x, y, batch, BatchSplit.Parts(ctx.Threads, batch));
        ctx.For(job.Parts, ref job);
    }

    /// <summary><see cref="BackwardWeights(ComputeContext, float[], float[], float[], float[], int, int, in ConvGeometry, ConvBatchNorm)"/> at width S.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BackwardWeights<S, V>(ComputeContext ctx, float[] x, float[] dy, float[] dWeight, float[]? dBias, int batch, int outChannels, in ConvGeometry g,
        ConvBatchNorm? bn = null)
        where S : struct, ISimdWidth<V> where V : struct
    {
        var plan = new Plan(g, outChannels, S.Lanes);
        var groups = new ImageGroups(batch, ctx.Threads);
        long dwvSize = plan.DwvSize;
        // Each image group's L-lane dW and db, added up below along the groups' fixed tree.
        float* dwv = ctx.Workspace.Floats(Scratch.VectorizedPartDw, groups.Count * dwvSize);
        double[] db = ctx.Workspace.Doubles(Scratch.PartBiasGradients, groups.Count * outChannels);
        var job = new BackwardJob<S, V>(plan, groups, x, dy, dwv, dBias is null ? null : db, batch, bn);
        ctx.For(groups.Parts, ref job);

        // dW = the sum of the groups' L-lane dW, then of its L lanes (a few KB: on the caller).
        groups.ReduceRest(dwv, dwvSize, 0, dwvSize);
        int taps = plan.Taps, lanes = S.Lanes;
        for (int o = 0; o < outChannels; o++)
            for (int r = 0; r < taps; r++)
                dWeight[o * taps + r] = S.Sum(S.Load(dwv + ((long)o * taps + r) * lanes));
        if (dBias is not null) groups.SumDoubles(db, outChannels, dBias);
    }

    private static void Require(in ConvGeometry g)
    {
        if (!Supports(g))
            throw new NotSupportedException(
                $"The vectorised direct convolution needs stride 1, a kernel at most {MaxKernelW} wide and vector instructions; got kernel {g.KernelH}x{g.KernelW}, stride {g.StrideH}x{g.StrideW}.");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RegroupWeights(float[] weight, float* wg, int taps, int outChannels, int size)
    {
        new Span<float>(wg, size).Clear();
        for (int o = 0; o < outChannels; o++)
            for (int r = 0; r < taps; r++)
                wg[((o / Group) * taps + r) * Group + o % Group] = weight[o * taps + r];
    }

    /// <summary>
    /// The images of one part, each padded into the thread's frame and then convolved; with <paramref name="bn"/>,
    /// each output plane's (Σ(y − K), Σ(y − K)²) into <paramref name="planeSums"/> (<see cref="ConvBatchNorm.PlaneSums"/>),
    /// right after the image, while its planes are in cache.
    /// </summary>
    private readonly struct ForwardJob<S, V>(Plan plan, float[] x, float[] y, int batch, int parts, ConvBatchNorm? bn = null, double[]? planeSums = null) : IParallelJob
        where S : struct, ISimdWidth<V> where V : struct
    {
        public readonly int Parts = parts;

        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(batch, part, Parts);
            float* frame = lane.Workspace.Floats(Scratch.VectorizedFrame, plan.FrameSize);
            int o = plan.OutChannels;
            var t = new BatchNormTensors { X = y, N = batch, Channels = o, S = plan.G.OutPlane };
            fixed (float* yAll = y)
            fixed (double* sums = planeSums)
            {
                var statistics = new BatchNormKernel.Pinned(t, batch * o, yAll, null, null, null, null, null, sums);
                for (int n = start; n < end; n++)
                {
                    PadImage(plan, x, n, frame);
                    ForwardRows<S, V>(plan, frame, y, n, 0, plan.G.OutH);
                    // The image's output planes are still in cache: the statistics pass's own sums of them.
                    if (bn is not null) BatchNormKernel.StatisticsPlanes<S, V>(statistics, bn.Channels, n * o, (n + 1) * o);
                }
            }
        }
    }

    /// <summary>A range of blocks of <see cref="RowBlock"/> output rows of one image, padded once into a shared frame.</summary>
    private readonly struct RowsJob<S, V>(Plan plan, float* frame, float[] y, int blocks, int parts) : IParallelJob
        where S : struct, ISimdWidth<V> where V : struct
    {
        public readonly int Parts = parts;

        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(blocks, part, Parts);
            ForwardRows<S, V>(plan, frame, y, 0, start * RowBlock, Math.Min(plan.G.OutH, end * RowBlock));
        }
    }

    /// <summary>
    /// The image groups of one part, each into its slot of L-lane dW and db, then the part's own nodes of the groups'
    /// tree. With <paramref name="bn"/>, each plane of dY is the BatchNorm's input gradient, formed into a buffer of one
    /// plane just before it is read.
    /// </summary>
    private readonly struct BackwardJob<S, V>(Plan plan, ImageGroups groups, float[] x, float[] dy, float* groupDwv, double[]? groupDb, int batch,
        ConvBatchNorm? bn) : IParallelJob
        where S : struct, ISimdWidth<V> where V : struct
    {
        public void Run(int part, ComputeContext lane)
        {
            var (first, last) = groups.GroupsOfPart(part);
            for (int group = first; group < last; group++)
            {
                var (start, end) = groups.Images(group);
                Group(lane, groupDwv + group * plan.DwvSize, group, start, end);
            }
            groups.ReduceWithin(part, groupDwv, plan.DwvSize);
        }

        private void Group(ComputeContext lane, float* dwv, int group, int start, int end)
        {
            float* frame = lane.Workspace.Floats(Scratch.VectorizedFrame, plan.FrameSize);
            new Span<float>(dwv, checked((int)plan.DwvSize)).Clear();
            int o = plan.OutChannels, q = plan.G.OutPlane;
            double* db = stackalloc double[o];
            for (int c = 0; c < o; c++) db[c] = 0;
            var t = bn?.Gradient ?? default;
            float* formed = bn is null ? null : lane.Workspace.Floats(Scratch.VectorizedGradientPlane, q);
            fixed (float* dyAll = bn is null ? dy : t.Dy)
            fixed (float* bx = t.X)
            fixed (float* winner = t.Winner)
            {
                var pinned = new BatchNormKernel.Pinned(t, batch * o, bx, null, dyAll, null, winner, null, null);
                for (int n = start; n < end; n++)
                {
                    PadImage(plan, x, n, frame);
                    for (int c = 0; c < o; c++)
                    {
                        float* plane = dyAll + ((long)n * o + c) * q;
                        if (bn is not null)
                        {
                            BatchNormKernel.GradientPlane<S, V>(pinned, bn.Channels, n * o + c, c, formed);
                            plane = formed;
                        }
                        AccumulateWeightGradient<S, V>(plan, frame, plane, c, dwv);
                        // In sample order per channel, as the sums over a group always are; none without a bias.
                        if (groupDb is not null) db[c] += Elementwise.Sum(new ReadOnlySpan<float>(plane, q));
                    }
                }
            }
            if (groupDb is not null)
                for (int c = 0; c < o; c++) groupDb[group * o + c] = db[c];
        }
    }

    /// <summary>Copies image <paramref name="image"/> into <paramref name="frame"/>: xpad[c][top + i][left + j] = x[c][i][j], zeros around.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PadImage(in Plan p, float[] input, int image, float* frame)
    {
        var g = p.G;
        int frameH = p.FrameH, frameW = p.FrameW;
        long shiftedSize = p.ShiftedSize;
        new Span<float>(frame, checked((int)shiftedSize)).Clear();
        fixed (float* x = input)
            for (int c = 0; c < g.Channels; c++)
            {
                float* plane = x + ((long)image * g.Channels + c) * g.InH * g.InW;
                for (int i = 0; i < g.InH; i++)
                {
                    int fy = i + g.PadTop;
                    if (fy >= frameH) break;
                    // Columns beyond the right padding are never read by a kept output; the frame is wide enough for them.
                    new ReadOnlySpan<float>(plane + (long)i * g.InW, Math.Min(g.InW, frameW - g.PadLeft))
                        .CopyTo(new Span<float>(frame + ((long)c * frameH + fy) * frameW + g.PadLeft, frameW - g.PadLeft));
                }
            }
        // The shifted copies, as far as loads reach (L·chunks columns).
        int width = p.Chunks * p.Lanes;
        long rows = (long)g.Channels * frameH;
        for (int b = 1; b < g.KernelW; b++)
            for (long r = 0; r < rows; r++)
                new ReadOnlySpan<float>(frame + r * frameW + b, width).CopyTo(new Span<float>(frame + b * shiftedSize + r * frameW, width));
    }

    /// <summary>Output rows [i0, i1) of image <paramref name="image"/>, from its padded frame.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRows<S, V>(in Plan p, float* frame, float[] output, int image, int i0, int i1)
        where S : struct, ISimdWidth<V> where V : struct
    {
        var g = p.G;
        int lanes = S.Lanes, chunks = p.Chunks, groups = p.Groups, outChannels = p.OutChannels;
        int kh = g.KernelH, kw = g.KernelW, channels = g.Channels, outW = g.OutW, outPlane = g.OutPlane;
        int taps = channels * kh * kw;
        long frameW = p.FrameW, framePlane = (long)p.FrameH * p.FrameW, shift = p.ShiftedSize;
        float* wg = p.Wg, biasAll = p.Bias;
        fixed (float* y = output)
            for (int i = i0; i < i1; i++)
                for (int chunk = 0; chunk < chunks; chunk++)
                {
                    int j0 = chunk * lanes, width = Math.Min(lanes, outW - j0);
                    for (int grp = 0; grp < groups; grp++)
                    {
                        float* bias = biasAll + grp * Group;
                        V a0 = S.Zero, a1 = S.Zero, a2 = S.Zero, a3 = S.Zero, a4 = S.Zero, a5 = S.Zero, a6 = S.Zero, a7 = S.Zero;
                        if (p.HasBias)
                        {
                            a0 = S.Broadcast(bias[0]); a1 = S.Broadcast(bias[1]); a2 = S.Broadcast(bias[2]); a3 = S.Broadcast(bias[3]);
                            a4 = S.Broadcast(bias[4]); a5 = S.Broadcast(bias[5]); a6 = S.Broadcast(bias[6]); a7 = S.Broadcast(bias[7]);
                        }
                        float* w = wg + (long)grp * taps * Group;
                        for (int c = 0; c < channels; c++)
                            for (int a = 0; a < kh; a++)
                            {
                                float* row = frame + c * framePlane + (i + a) * frameW + j0;
                                for (int b = 0; b < kw; b++, w += Group)
                                {
                                    var xv = S.Load(row + b * shift);
                                    a0 = S.Fma(S.LoadBroadcast(w + 0), xv, a0);
                                    a1 = S.Fma(S.LoadBroadcast(w + 1), xv, a1);
                                    a2 = S.Fma(S.LoadBroadcast(w + 2), xv, a2);
                                    a3 = S.Fma(S.LoadBroadcast(w + 3), xv, a3);
                                    a4 = S.Fma(S.LoadBroadcast(w + 4), xv, a4);
                                    a5 = S.Fma(S.LoadBroadcast(w + 5), xv, a5);
                                    a6 = S.Fma(S.LoadBroadcast(w + 6), xv, a6);
                                    a7 = S.Fma(S.LoadBroadcast(w + 7), xv, a7);
                                }
                            }
                        int o0 = grp * Group, count = Math.Min(Group, outChannels - o0);
                        float* dst = y + ((long)image * outChannels + o0) * outPlane + (long)i * outW + j0;
                        StoreRow<S, V>(dst, a0, width);
                        if (count > 1) StoreRow<S, V>(dst + outPlane, a1, width);
                        if (count > 2) StoreRow<S, V>(dst + 2L * outPlane, a2, width);
                        if (count > 3) StoreRow<S, V>(dst + 3L * outPlane, a3, width);
                        if (count > 4) StoreRow<S, V>(dst + 4L * outPlane, a4, width);
                        if (count > 5) StoreRow<S, V>(dst + 5L * outPlane, a5, width);
                        if (count > 6) StoreRow<S, V>(dst + 6L * outPlane, a6, width);
                        if (count > 7) StoreRow<S, V>(dst + 7L * outPlane, a7, width);
                    }
                }
    }

    /// <summary>The first <paramref name="width"/> lanes of v (a row's last chunk may be part of a vector).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<S, V>(float* dst, V v, int width) where S : struct, ISimdWidth<V> where V : struct
    {
        if (width == S.Lanes) S.Store(dst, v);
        else S.StoreFirst(dst, v, width);
    }

    /// <summary>dY[j0..j0+L) of a row of <paramref name="outW"/>; lanes past the row's end load as zeros, so they add nothing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static V LoadRow<S, V>(float* dyRow, int j0, int outW) where S : struct, ISimdWidth<V> where V : struct =>
        j0 + S.Lanes <= outW ? S.Load(dyRow + j0) : S.LoadFirst(dyRow + j0, outW - j0);

    /// <summary>
    /// <see cref="AccumulateWeightGradient{S, V}"/> for one (o, c) of a 5×5 kernel with all 25 accumulators in registers
    /// (where there are 32): each L pixels of dY are loaded once for 25 multiply-adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate5x5<S, V>(float* frame, long frameW, long shift, float* dy, int outH, int outW, float* acc)
        where S : struct, ISimdWidth<V> where V : struct
    {
        int l = S.Lanes;
        V s00 = S.Load(acc + 0 * l), s01 = S.Load(acc + 1 * l), s02 = S.Load(acc + 2 * l), s03 = S.Load(acc + 3 * l), s04 = S.Load(acc + 4 * l);
        V s10 = S.Load(acc + 5 * l), s11 = S.Load(acc + 6 * l), s12 = S.Load(acc + 7 * l), s13 = S.Load(acc + 8 * l), s14 = S.Load(acc + 9 * l);
        V s20 = S.Load(acc + 10 * l), s21 = S.Load(acc + 11 * l), s22 = S.Load(acc + 12 * l), s23 = S.Load(acc + 13 * l), s24 = S.Load(acc + 14 * l);
        V s30 = S.Load(acc + 15 * l), s31 = S.Load(acc + 16 * l), s32 = S.Load(acc + 17 * l), s33 = S.Load(acc + 18 * l), s34 = S.Load(acc + 19 * l);
        V s40 = S.Load(acc + 20 * l), s41 = S.Load(acc + 21 * l), s42 = S.Load(acc + 22 * l), s43 = S.Load(acc + 23 * l), s44 = S.Load(acc + 24 * l);
        for (int i = 0; i < outH; i++)
            for (int j0 = 0; j0 < outW; j0 += l)
            {
                var d = LoadRow<S, V>(dy + (long)i * outW, j0, outW);
                float* x = frame + i * frameW + j0;
                s00 = S.Fma(d, S.Load(x + 0 * shift), s00); s01 = S.Fma(d, S.Load(x + 1 * shift), s01); s02 = S.Fma(d, S.Load(x + 2 * shift), s02); s03 = S.Fma(d, S.Load(x + 3 * shift), s03); s04 = S.Fma(d, S.Load(x + 4 * shift), s04);
                x += frameW;
                s10 = S.Fma(d, S.Load(x + 0 * shift), s10); s11 = S.Fma(d, S.Load(x + 1 * shift), s11); s12 = S.Fma(d, S.Load(x + 2 * shift), s12); s13 = S.Fma(d, S.Load(x + 3 * shift), s13); s14 = S.Fma(d, S.Load(x + 4 * shift), s14);
                x += frameW;
                s20 = S.Fma(d, S.Load(x + 0 * shift), s20); s21 = S.Fma(d, S.Load(x + 1 * shift), s21); s22 = S.Fma(d, S.Load(x + 2 * shift), s22); s23 = S.Fma(d, S.Load(x + 3 * shift), s23); s24 = S.Fma(d, S.Load(x + 4 * shift), s24);
                x += frameW;
                s30 = S.Fma(d, S.Load(x + 0 * shift), s30); s31 = S.Fma(d, S.Load(x + 1 * shift), s31); s32 = S.Fma(d, S.Load(x + 2 * shift), s32); s33 = S.Fma(d, S.Load(x + 3 * shift), s33); s34 = S.Fma(d, S.Load(x + 4 * shift), s34);
                x += frameW;
                s40 = S.Fma(d, S.Load(x + 0 * shift), s40); s41 = S.Fma(d, S.Load(x + 1 * shift), s41); s42 = S.Fma(d, S.Load(x + 2 * shift), s42); s43 = S.Fma(d, S.Load(x + 3 * shift), s43); s44 = S.Fma(d, S.Load(x + 4 * shift), s44);
            }
        S.Store(acc + 0 * l, s00); S.Store(acc + 1 * l, s01); S.Store(acc + 2 * l, s02); S.Store(acc + 3 * l, s03); S.Store(acc + 4 * l, s04);
        S.Store(acc + 5 * l, s10); S.Store(acc + 6 * l, s11); S.Store(acc + 7 * l, s12); S.Store(acc + 8 * l, s13); S.Store(acc + 9 * l, s14);
        S.Store(acc + 10 * l, s20); S.Store(acc + 11 * l, s21); S.Store(acc + 12 * l, s22); S.Store(acc + 13 * l, s23); S.Store(acc + 14 * l, s24);
        S.Store(acc + 15 * l, s30); S.Store(acc + 16 * l, s31); S.Store(acc + 17 * l, s32); S.Store(acc + 18 * l, s33); S.Store(acc + 19 * l, s34);
        S.Store(acc + 20 * l, s40); S.Store(acc + 21 * l, s41); S.Store(acc + 22 * l, s42); S.Store(acc + 23 * l, s43); S.Store(acc + 24 * l, s44);
    }

    /// <summary>dWv[o][c][a][b] (L lanes) += Σ_{i,j} dY[i][j] · xpad[c][i + a][j + b], lanes along j (<paramref name="dy"/>: the plane of dY of one image and output channel o).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateWeightGradient<S, V>(in Plan p, float* frame, float* dy, int o, float* dwv)
        where S : struct, ISimdWidth<V> where V : struct
    {
        var g = p.G;
        int l = S.Lanes;
        int kh = g.KernelH, kw = g.KernelW, channels = g.Channels, outW = g.OutW, outH = g.OutH;
        long frameW = p.FrameW, framePlane = (long)p.FrameH * p.FrameW, shift = p.ShiftedSize;
        // 25 accumulators and their operands fit only in 32 registers; with 16, a row of the kernel at a time.
        if (kh == 5 && kw == 5 && S.Registers >= 32)
        {
            for (int c = 0; c < channels; c++)
                Accumulate5x5<S, V>(frame + c * framePlane, frameW, shift, dy, outH, outW, dwv + ((long)o * channels + c) * 25 * l);
            return;
        }
        for (int c = 0; c < channels; c++)
            for (int a = 0; a < kh; a++)
            {
                float* row = frame + c * framePlane + a * frameW;
                float* acc = dwv + ((((long)o * channels + c) * kh + a) * kw) * l;
                // Two kernel rows at once where their 10 (6) accumulators fit beside the operands: each dY
                // vector is loaded once for both, and twice the chains hide the add latency (x86 without FMA).
                if (a + 1 < kh && (kw == 5 || kw == 3))
                {
                    if (kw == 5) AccumulateKernelRowPair<S, V>(row, frameW, shift, dy, outH, outW, acc, 5);
                    else AccumulateKernelRowPair<S, V>(row, frameW, shift, dy, outH, outW, acc, 3);
                    a++;
                }
                // The common widths as constants, so that their copies have no tests of kw in the loop.
                else if (kw == 5) AccumulateKernelRow<S, V>(row, frameW, shift, dy, outH, outW, acc, 5);
                else if (kw == 3) AccumulateKernelRow<S, V>(row, frameW, shift, dy, outH, outW, acc, 3);
                else AccumulateKernelRow<S, V>(row, frameW, shift, dy, outH, outW, acc, kw);
            }
    }

    /// <summary>
    /// Kernel rows a and a + 1 (<paramref name="row"/> at xpad[c][a], <paramref name="acc"/> at row a's kw
    /// accumulators, row a + 1's after them) for kw ≤ 5: <see cref="AccumulateKernelRow{S, V}"/> twice, in one pass
    /// over dY, each accumulator summed in the same order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AccumulateKernelRowPair<S, V>(float* row, long frameW, long shift, float* dy, int outH, int outW, float* acc, int kw)
        where S : struct, ISimdWidth<V> where V : struct
    {
        int l = S.Lanes;
        float* next = acc + kw * l;
        V s0 = S.Load(acc), s1 = S.Load(acc + l), s2 = S.Zero, s3 = S.Zero, s4 = S.Zero;
        V t0 = S.Load(next), t1 = S.Load(next + l), t2 = S.Zero, t3 = S.Zero, t4 = S.Zero;
        if (kw > 2) { s2 = S.Load(acc + 2 * l); t2 = S.Load(next + 2 * l); }
        if (kw > 3) { s3 = S.Load(acc + 3 * l); t3 = S.Load(next + 3 * l); }
        if (kw > 4) { s4 = S.Load(acc + 4 * l); t4 = S.Load(next + 4 * l); }
        for (int i = 0; i < outH; i++, row += frameW)
            for (int j0 = 0; j0 < outW; j0 += l)
            {
                var d = LoadRow<S, V>(dy + (long)i * outW, j0, outW);
                float* x = row + j0, y = x + frameW;
                s0 = S.Fma(d, S.Load(x), s0);
                t0 = S.Fma(d, S.Load(y), t0);
                s1 = S.Fma(d, S.Load(x + shift), s1);
                t1 = S.Fma(d, S.Load(y + shift), t1);
                if (kw > 2) { s2 = S.Fma(d, S.Load(x + 2 * shift), s2); t2 = S.Fma(d, S.Load(y + 2 * shift), t2); }
                if (kw > 3) { s3 = S.Fma(d, S.Load(x + 3 * shift), s3); t3 = S.Fma(d, S.Load(y + 3 * shift), t3); }
                if (kw > 4) { s4 = S.Fma(d, S.Load(x + 4 * shift), s4); t4 = S.Fma(d, S.Load(y + 4 * shift), t4); }
            }
        S.Store(acc, s0); S.Store(acc + l, s1); S.Store(next, t0); S.Store(next + l, t1);
        if (kw > 2) { S.Store(acc + 2 * l, s2); S.Store(next + 2 * l, t2); }
        if (kw > 3) { S.Store(acc + 3 * l, s3); S.Store(next + 3 * l, t3); }
        if (kw > 4) { S.Store(acc + 4 * l, s4); S.Store(next + 4 * l, t4); }
    }

    /// <summary>
    /// One row a of the kernel for one (o, c): acc[b] (L lanes) += Σ_{i,j} dY[i][j] · xpad[c][i + a][j + b] for b &lt; kw,
    /// <paramref name="row"/> at xpad[c][a]. One accumulator per kernel column; those past kw stay zero and are not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AccumulateKernelRow<S, V>(float* row, long frameW, long shift, float* dy, int outH, int outW, float* acc, int kw)
        where S : struct, ISimdWidth<V> where V : struct
    {
        int l = S.Lanes;
        V s0 = S.Load(acc), s1 = S.Zero, s2 = S.Zero, s3 = S.Zero, s4 = S.Zero, s5 = S.Zero, s6 = S.Zero, s7 = S.Zero;
        if (kw > 1) s1 = S.Load(acc + l);
        if (kw > 2) s2 = S.Load(acc + 2 * l);
        if (kw > 3) s3 = S.Load(acc + 3 * l);
        if (kw > 4) s4 = S.Load(acc + 4 * l);
        if (kw > 5) s5 = S.Load(acc + 5 * l);
        if (kw > 6) s6 = S.Load(acc + 6 * l);
        if (kw > 7) s7 = S.Load(acc + 7 * l);
        for (int i = 0; i < outH; i++, row += frameW)
            for (int j0 = 0; j0 < outW; j0 += l)
            {
                var d = LoadRow<S, V>(dy + (long)i * outW, j0, outW);
                float* x = row + j0;
                s0 = S.Fma(d, S.Load(x), s0);
                if (kw > 1) s1 = S.Fma(d, S.Load(x + 1 * shift), s1);
                if (kw > 2) s2 = S.Fma(d, S.Load(x + 2 * shift), s2);
                if (kw > 3) s3 = S.Fma(d, S.Load(x + 3 * shift), s3);
                if (kw > 4) s4 = S.Fma(d, S.Load(x + 4 * shift), s4);
                if (kw > 5) s5 = S.Fma(d, S.Load(x + 5 * shift), s5);
                if (kw > 6) s6 = S.Fma(d, S.Load(x + 6 * shift), s6);
                if (kw > 7) s7 = S.Fma(d, S.Load(x + 7 * shift), s7);
            }
        S.Store(acc, s0);
        if (kw > 1) S.Store(acc + l, s1);
        if (kw > 2) S.Store(acc + 2 * l, s2);
        if (kw > 3) S.Store(acc + 3 * l, s3);
        if (kw > 4) S.Store(acc + 4 * l, s4);
        if (kw > 5) S.Store(acc + 5 * l, s5);
        if (kw > 6) S.Store(acc + 6 * l, s6);
        if (kw > 7) S.Store(acc + 7 * l, s7);
    }
}
