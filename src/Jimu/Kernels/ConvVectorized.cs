using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// Direct convolution vectorised along output rows, for stride 1 and kernels up to <see cref="MaxKernelW"/> wide:
/// 16 output pixels of a row per vector, each multiply-add a broadcast weight times an unaligned load of the
/// zero-padded input, with 8 output channels in flight:
/// <code>
/// y[o][i][j..j+16]  = b[o] + Σ_{c,a,b} W[o][c][a][b] · xpad[c][i + a][j + b .. j + b + 16]
/// dW[o][c][a][b]    = Σ_{n,i,j} dY[o][i][j] · xpad[c][i + a][j + b]        (16 pixels per vector, summed at the end)
/// </code>
/// No patch matrix, and no GEMM whose depth would be only C·kh·kw: for layers with few input channels, such as a
/// network's first, where im2col's product is too shallow to run well. It computes no input gradient.
/// The batch is split over the threads by images (one image by rows); each part keeps its own 16-lane dW, and the
/// parts are summed in a fixed order, so results are deterministic for a given thread count.
/// </summary>
[SkipLocalsInit]
internal static unsafe class ConvVectorized
{
    private const int Lanes = 16, Group = 8;

    /// <summary>The widest kernel: the backward pass keeps one accumulator per kernel column.</summary>
    public const int MaxKernelW = 8;

    /// <summary>Output rows per work item when one image is split over the threads.</summary>
    private const int RowBlock = 4;

    /// <summary>Whether geometry <paramref name="g"/> runs here: stride 1, a kernel at most 8 wide, AVX-512.</summary>
    public static bool Supports(in ConvGeometry g) =>
        Avx512F.IsSupported && g.StrideH == 1 && g.StrideW == 1 && g.KernelW <= MaxKernelW;

    /// <summary>The sizes of one call, and the regrouped weights and padded bias of a forward pass.</summary>
    private readonly struct Plan
    {
        public readonly ConvGeometry G;
        public readonly int OutChannels, Groups, Chunks, FrameH, FrameW;
        // W regrouped as [o / 8][c][a][b][o % 8], zero past the last output channel, so the 8 broadcasts of a step are adjacent.
        public readonly float* Wg, Bias;
        public readonly bool HasBias;

        public Plan(in ConvGeometry g, int outChannels, float* wg = null, float* bias = null, bool hasBias = false)
        {
            G = g; OutChannels = outChannels; Wg = wg; Bias = bias; HasBias = hasBias;
            Groups = (outChannels + Group - 1) / Group;
            Chunks = (g.OutW + Lanes - 1) / Lanes;
            FrameH = g.OutH + g.KernelH - 1;
            // Rows of whole cache lines, wide enough for the padded input (16·chunks + kw − 1 columns).
            FrameW = (Chunks * Lanes + g.KernelW - 1 + Lanes - 1) / Lanes * Lanes;
        }

        /// <summary>One copy of the padded image, C × frameH × frameW.</summary>
        public long ShiftedSize => (long)G.Channels * FrameH * FrameW;

        /// <summary>
        /// kw copies of the padded image, copy b shifted left by b columns: xpad[c][r][j + b] = frame[b][c][r][j]. Every
        /// load of 16 pixels at column j0 + b is then a cache-line-aligned load at j0 of copy b; an unaligned 64-byte load
        /// always spans two lines, which made the weight gradient (one load per multiply-add) twice as slow.
        /// </summary>
        public long FrameSize => G.KernelW * ShiftedSize;

        public long DwvSize => (long)OutChannels * G.Channels * G.KernelH * G.KernelW * Lanes;
        public int Taps => G.Channels * G.KernelH * G.KernelW;
    }

    /// <summary>y[N, O, OH, OW] = conv(x[N, C, H, W], W[O, C, kh, kw]) + bias.</summary>
    public static void Forward(ComputeContext ctx, float[] x, float[] weight, float[]? bias, float[] y, int batch, int outChannels, in ConvGeometry g)
    {
        Require(g);
        var sizes = new Plan(g, outChannels);
        int taps = sizes.Taps, wgSize = sizes.Groups * taps * Group;
        float* wg = ctx.Workspace.Floats(Scratch.VectorizedWeights, wgSize + sizes.Groups * Group);
        RegroupWeights(weight, wg, taps, outChannels, wgSize);
        float* paddedBias = wg + wgSize;
        if (bias is not null) bias.AsSpan(0, outChannels).CopyTo(new Span<float>(paddedBias, outChannels));
        var plan = new Plan(g, outChannels, wg, paddedBias, bias is not null);

        if (batch == 1 && ctx.Threads > 1)
        {
            // One image (inference latency): pad it once, then split its rows over the threads.
            float* frame = ctx.Workspace.Floats(Scratch.VectorizedFrame, plan.FrameSize);
            PadImage(plan, x, 0, frame);
            int blocks = (g.OutH + RowBlock - 1) / RowBlock;
            var rows = new RowsJob(plan, frame, y, blocks, BatchSplit.Parts(ctx.Threads, blocks));
            ctx.For(rows.Parts, ref rows);
            return;
        }
        var job = new ForwardJob(plan, x, y, batch, BatchSplit.Parts(ctx.Threads, batch));
        ctx.For(job.Parts, ref job);
    }

    /// <summary>Sets dW (and db when given) to the batch sums of the weight (and bias) gradients.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardWeights(ComputeContext ctx, float[] x, float[] dy, float[] dWeight, float[]? dBias, int batch, int outChannels, in ConvGeometry g)
    {
        Require(g);
        var plan = new Plan(g, outChannels);
        int parts = BatchSplit.Parts(ctx.Threads, batch);
        long dwvSize = plan.DwvSize;
        // Each part's 16-lane dW and db, summed below in part order.
        float* dwv = ctx.Workspace.Floats(Scratch.VectorizedPartDw, parts * dwvSize);
        double[] db = ctx.Workspace.Doubles(Scratch.PartBiasGradients, parts * outChannels);
        var job = new BackwardJob(plan, x, dy, dwv, db, batch, parts);
        ctx.For(parts, ref job);

        // dW = Σ over parts in order, each the sum of its 16 lanes.
        int taps = plan.Taps;
        for (int o = 0; o < outChannels; o++)
            for (int r = 0; r < taps; r++)
            {
                float s = 0;
                for (int p = 0; p < parts; p++) s += Vector512.Sum(Vector512.Load(dwv + p * dwvSize + ((long)o * taps + r) * Lanes));
                dWeight[o * taps + r] = s;
            }
        if (dBias is not null)
            for (int o = 0; o < outChannels; o++)
            {
                double s = 0;
                for (int p = 0; p < parts; p++) s += db[p * outChannels + o];
                dBias[o] = (float)s;
            }
    }

    private static void Require(in ConvGeometry g)
    {
        if (!Supports(g))
            throw new NotSupportedException(
                $"The vectorised direct convolution needs stride 1, a kernel at most {MaxKernelW} wide and AVX-512; got kernel {g.KernelH}x{g.KernelW}, stride {g.StrideH}x{g.StrideW}.");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RegroupWeights(float[] weight, float* wg, int taps, int outChannels, int size)
    {
        new Span<float>(wg, size).Clear();
        for (int o = 0; o < outChannels; o++)
            for (int r = 0; r < taps; r++)
                wg[((o / Group) * taps + r) * Group + o % Group] = weight[o * taps + r];
    }

    /// <summary>The images of one part, each padded into the thread's frame and then convolved.</summary>
    private readonly struct ForwardJob(Plan plan, float[] x, float[] y, int batch, int parts) : IParallelJob
    {
        public readonly int Parts = parts;

        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(batch, part, Parts);
            float* frame = lane.Workspace.Floats(Scratch.VectorizedFrame, plan.FrameSize);
            for (int n = start; n < end; n++)
            {
                PadImage(plan, x, n, frame);
                ForwardRows(plan, frame, y, n, 0, plan.G.OutH);
            }
        }
    }

    /// <summary>A range of blocks of <see cref="RowBlock"/> output rows of one image, padded once into a shared frame.</summary>
    private readonly struct RowsJob(Plan plan, float* frame, float[] y, int blocks, int parts) : IParallelJob
    {
        public readonly int Parts = parts;

        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(blocks, part, Parts);
            ForwardRows(plan, frame, y, 0, start * RowBlock, Math.Min(plan.G.OutH, end * RowBlock));
        }
    }

    /// <summary>The images of one part: its 16-lane dW and db (slices of the caller's per-part sums).</summary>
    private readonly struct BackwardJob(Plan plan, float[] x, float[] dy, float* partDwv, double[] partDb, int batch, int parts) : IParallelJob
    {
        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(batch, part, parts);
            float* frame = lane.Workspace.Floats(Scratch.VectorizedFrame, plan.FrameSize);
            float* dwv = partDwv + part * plan.DwvSize;
            new Span<float>(dwv, checked((int)plan.DwvSize)).Clear();
            for (int n = start; n < end; n++)
            {
                PadImage(plan, x, n, frame);
                AccumulateWeightGradient(plan, frame, dy, n, dwv);
            }
            int o = plan.OutChannels, q = plan.G.OutPlane;
            for (int c = 0; c < o; c++)
            {
                double s = 0;
                for (int n = start; n < end; n++) s += Elementwise.Sum(dy.AsSpan((n * o + c) * q, q));
                partDb[part * o + c] = s;
            }
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
        // The shifted copies, as far as loads reach (16·chunks columns).
        int width = p.Chunks * Lanes;
        long rows = (long)g.Channels * frameH;
        for (int b = 1; b < g.KernelW; b++)
            for (long r = 0; r < rows; r++)
                new ReadOnlySpan<float>(frame + r * frameW + b, width).CopyTo(new Span<float>(frame + b * shiftedSize + r * frameW, width));
    }

    /// <summary>Output rows [i0, i1) of image <paramref name="image"/>, from its padded frame.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRows(in Plan p, float* frame, float[] output, int image, int i0, int i1)
    {
        var g = p.G;
        int chunks = p.Chunks, groups = p.Groups, outChannels = p.OutChannels;
        int kh = g.KernelH, kw = g.KernelW, channels = g.Channels, outW = g.OutW, outPlane = g.OutPlane;
        int taps = channels * kh * kw;
        long frameW = p.FrameW, framePlane = (long)p.FrameH * p.FrameW, shift = p.ShiftedSize;
        float* wg = p.Wg, biasAll = p.Bias;
        fixed (float* y = output)
            for (int i = i0; i < i1; i++)
                for (int chunk = 0; chunk < chunks; chunk++)
                {
                    int j0 = chunk * Lanes;
                    var mask = Transpose16x16.FirstLanes(Math.Min(Lanes, outW - j0));
                    for (int grp = 0; grp < groups; grp++)
                    {
                        float* bias = biasAll + grp * Group;
                        Vector512<float> a0 = Vector512.Create(bias[0]), a1 = Vector512.Create(bias[1]);
                        Vector512<float> a2 = Vector512.Create(bias[2]), a3 = Vector512.Create(bias[3]);
                        Vector512<float> a4 = Vector512.Create(bias[4]), a5 = Vector512.Create(bias[5]);
                        Vector512<float> a6 = Vector512.Create(bias[6]), a7 = Vector512.Create(bias[7]);
                        if (!p.HasBias) a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = Vector512<float>.Zero;
                        float* w = wg + (long)grp * taps * Group;
                        for (int c = 0; c < channels; c++)
                            for (int a = 0; a < kh; a++)
                            {
                                float* row = frame + c * framePlane + (i + a) * frameW + j0;
                                for (int b = 0; b < kw; b++, w += Group)
                                {
                                    var xv = Vector512.LoadAligned(row + b * shift);
                                    a0 = Vector512.FusedMultiplyAdd(Vector512.Create(w[0]), xv, a0);
                                    a1 = Vector512.FusedMultiplyAdd(Vector512.Create(w[1]), xv, a1);
                                    a2 = Vector512.FusedMultiplyAdd(Vector512.Create(w[2]), xv, a2);
                                    a3 = Vector512.FusedMultiplyAdd(Vector512.Create(w[3]), xv, a3);
                                    a4 = Vector512.FusedMultiplyAdd(Vector512.Create(w[4]), xv, a4);
                                    a5 = Vector512.FusedMultiplyAdd(Vector512.Create(w[5]), xv, a5);
                                    a6 = Vector512.FusedMultiplyAdd(Vector512.Create(w[6]), xv, a6);
                                    a7 = Vector512.FusedMultiplyAdd(Vector512.Create(w[7]), xv, a7);
                                }
                            }
                        int o0 = grp * Group, count = Math.Min(Group, outChannels - o0);
                        float* dst = y + ((long)image * outChannels + o0) * outPlane + (long)i * outW + j0;
                        Avx512F.MaskStore(dst, mask, a0);
                        if (count > 1) Avx512F.MaskStore(dst + outPlane, mask, a1);
                        if (count > 2) Avx512F.MaskStore(dst + 2L * outPlane, mask, a2);
                        if (count > 3) Avx512F.MaskStore(dst + 3L * outPlane, mask, a3);
                        if (count > 4) Avx512F.MaskStore(dst + 4L * outPlane, mask, a4);
                        if (count > 5) Avx512F.MaskStore(dst + 5L * outPlane, mask, a5);
                        if (count > 6) Avx512F.MaskStore(dst + 6L * outPlane, mask, a6);
                        if (count > 7) Avx512F.MaskStore(dst + 7L * outPlane, mask, a7);
                    }
                }
    }

    /// <summary>
    /// <see cref="AccumulateWeightGradient"/> for one (o, c) of a 5×5 kernel with all 25 accumulators in registers:
    /// each 16 pixels of dY are loaded once for 25 multiply-adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate5x5(float* frame, long frameW, long shift, float* dy, int outH, int outW, float* acc)
    {
        Vector512<float> s00 = Vector512.Load(acc), s01 = Vector512.Load(acc + 16), s02 = Vector512.Load(acc + 32), s03 = Vector512.Load(acc + 48), s04 = Vector512.Load(acc + 64);
        Vector512<float> s10 = Vector512.Load(acc + 80), s11 = Vector512.Load(acc + 96), s12 = Vector512.Load(acc + 112), s13 = Vector512.Load(acc + 128), s14 = Vector512.Load(acc + 144);
        Vector512<float> s20 = Vector512.Load(acc + 160), s21 = Vector512.Load(acc + 176), s22 = Vector512.Load(acc + 192), s23 = Vector512.Load(acc + 208), s24 = Vector512.Load(acc + 224);
        Vector512<float> s30 = Vector512.Load(acc + 240), s31 = Vector512.Load(acc + 256), s32 = Vector512.Load(acc + 272), s33 = Vector512.Load(acc + 288), s34 = Vector512.Load(acc + 304);
        Vector512<float> s40 = Vector512.Load(acc + 320), s41 = Vector512.Load(acc + 336), s42 = Vector512.Load(acc + 352), s43 = Vector512.Load(acc + 368), s44 = Vector512.Load(acc + 384);
        for (int i = 0; i < outH; i++)
            for (int j0 = 0; j0 < outW; j0 += Lanes)
            {
                // Lanes past the row's end load as zeros, so they add nothing.
                var d = Avx512F.MaskLoad(dy + (long)i * outW + j0, Transpose16x16.FirstLanes(outW - j0), Vector512<float>.Zero);
                float* x = frame + i * frameW + j0;
                s00 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x), s00); s01 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 1 * shift), s01);
                s02 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 2 * shift), s02); s03 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 3 * shift), s03);
                s04 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 4 * shift), s04);
                x += frameW;
                s10 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x), s10); s11 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 1 * shift), s11);
                s12 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 2 * shift), s12); s13 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 3 * shift), s13);
                s14 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 4 * shift), s14);
                x += frameW;
                s20 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x), s20); s21 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 1 * shift), s21);
                s22 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 2 * shift), s22); s23 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 3 * shift), s23);
                s24 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 4 * shift), s24);
                x += frameW;
                s30 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x), s30); s31 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 1 * shift), s31);
                s32 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 2 * shift), s32); s33 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 3 * shift), s33);
                s34 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 4 * shift), s34);
                x += frameW;
                s40 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x), s40); s41 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 1 * shift), s41);
                s42 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 2 * shift), s42); s43 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 3 * shift), s43);
                s44 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 4 * shift), s44);
            }
        s00.Store(acc); s01.Store(acc + 16); s02.Store(acc + 32); s03.Store(acc + 48); s04.Store(acc + 64);
        s10.Store(acc + 80); s11.Store(acc + 96); s12.Store(acc + 112); s13.Store(acc + 128); s14.Store(acc + 144);
        s20.Store(acc + 160); s21.Store(acc + 176); s22.Store(acc + 192); s23.Store(acc + 208); s24.Store(acc + 224);
        s30.Store(acc + 240); s31.Store(acc + 256); s32.Store(acc + 272); s33.Store(acc + 288); s34.Store(acc + 304);
        s40.Store(acc + 320); s41.Store(acc + 336); s42.Store(acc + 352); s43.Store(acc + 368); s44.Store(acc + 384);
    }

    /// <summary>dWv[o][c][a][b] (16 lanes) += Σ_{i,j} dY[image][o][i][j] · xpad[c][i + a][j + b], lanes along j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateWeightGradient(in Plan p, float* frame, float[] outputGradient, int image, float* dwv)
    {
        var g = p.G;
        int outChannels = p.OutChannels;
        int kh = g.KernelH, kw = g.KernelW, channels = g.Channels, outW = g.OutW, outH = g.OutH, outPlane = g.OutPlane;
        long frameW = p.FrameW, framePlane = (long)p.FrameH * p.FrameW, shift = p.ShiftedSize;
        fixed (float* dyAll = outputGradient)
            for (int o = 0; o < outChannels; o++)
            {
                float* dy = dyAll + ((long)image * outChannels + o) * outPlane;
                if (kh == 5 && kw == 5)
                {
                    for (int c = 0; c < channels; c++)
                        Accumulate5x5(frame + c * framePlane, frameW, shift, dy, outH, outW, dwv + ((long)o * channels + c) * 25 * Lanes);
                    continue;
                }
                for (int c = 0; c < channels; c++)
                    for (int a = 0; a < kh; a++)
                    {
                        // One accumulator per kernel column b; those past kw stay zero and are not stored.
                        float* acc = dwv + ((((long)o * channels + c) * kh + a) * kw) * Lanes;
                        Vector512<float> s0 = Vector512.Load(acc), s1 = default, s2 = default, s3 = default;
                        Vector512<float> s4 = default, s5 = default, s6 = default, s7 = default;
                        if (kw > 1) s1 = Vector512.Load(acc + Lanes);
                        if (kw > 2) s2 = Vector512.Load(acc + 2 * Lanes);
                        if (kw > 3) s3 = Vector512.Load(acc + 3 * Lanes);
                        if (kw > 4) s4 = Vector512.Load(acc + 4 * Lanes);
                        if (kw > 5) s5 = Vector512.Load(acc + 5 * Lanes);
                        if (kw > 6) s6 = Vector512.Load(acc + 6 * Lanes);
                        if (kw > 7) s7 = Vector512.Load(acc + 7 * Lanes);
                        for (int i = 0; i < outH; i++)
                        {
                            float* row = frame + c * framePlane + (i + a) * frameW;
                            for (int j0 = 0; j0 < outW; j0 += Lanes)
                            {
                                // Lanes past the row's end load as zeros, so they add nothing.
                                var d = Avx512F.MaskLoad(dy + (long)i * outW + j0, Transpose16x16.FirstLanes(outW - j0), Vector512<float>.Zero);
                                float* x = row + j0;
                                s0 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x), s0);
                                if (kw > 1) s1 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 1 * shift), s1);
                                if (kw > 2) s2 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 2 * shift), s2);
                                if (kw > 3) s3 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 3 * shift), s3);
                                if (kw > 4) s4 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 4 * shift), s4);
                                if (kw > 5) s5 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 5 * shift), s5);
                                if (kw > 6) s6 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 6 * shift), s6);
                                if (kw > 7) s7 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 7 * shift), s7);
                            }
                        }
                        s0.Store(acc);
                        if (kw > 1) s1.Store(acc + Lanes);
                        if (kw > 2) s2.Store(acc + 2 * Lanes);
                        if (kw > 3) s3.Store(acc + 3 * Lanes);
                        if (kw > 4) s4.Store(acc + 4 * Lanes);
                        if (kw > 5) s5.Store(acc + 5 * Lanes);
                        if (kw > 6) s6.Store(acc + 6 * Lanes);
                        if (kw > 7) s7.Store(acc + 7 * Lanes);
                    }
            }
    }
}
