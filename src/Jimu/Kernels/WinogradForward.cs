using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Jimu.Kernels;

/// <summary>
/// An r×r, stride-1 convolution y[N, R, OH, OW] = conv(x[N, K, H, W], w) + b by Winograd F(m×m, r×r) (<typeparamref name="T"/>:
/// <see cref="WinogradF2x5"/> or <see cref="WinogradF4x3"/>) at the vector width <typeparamref name="S"/>, with the output cut
/// into m×m tiles, numbered t = (n·TH + ty)·TW + tx over the batch and processed in blocks of 4 micro-kernel rows (32
/// tiles at 512 bits):
/// <code>
/// V[ξ][t][k] = (Bᵀ d_{t,k} B)[ξ]          d_{t,k}: the 6×6 window at (m·ty, m·tx) of channel k, zero-padded
/// Mᵀ[ξ] = V[ξ] · Uᵀ[ξ]                     U[ξ][r][k] = (G w_{r,k} Gᵀ)[ξ], packed once per weight change
/// y_{r,t} = Aᵀ M[·][t][r] A + b[r]
/// </code>
/// The input is first copied channels-last (<see cref="ChannelsLast"/>), so the transforms load L channels per
/// vector (L = 16, 8 or 4 lanes) and V comes out row-major by tile, which <see cref="GemmMicroKernel.Tile{S, V}"/> reads
/// unpacked; Uᵀ is packed in panels of the micro-kernel's width NR = 2L.
/// A batch is split over the threads by images, each thread copying and transforming a few images at a time so
/// that its working set stays in L2; a batch too small for that (one image, for latency) is copied once and its
/// tile blocks are split over the threads instead. With <c>rotate</c> the weights are read as w[r][k] = rot180(weight[k][r]):
/// the input gradient of a convolution, dx = conv(dy padded by r − 1 − p, rot180(Wᵀ)).
/// </summary>
[SkipLocalsInit]
internal static unsafe class WinogradForward<T, S, V>
    where T : struct, IWinogradTiles where S : struct, ISimdWidth<V> where V : unmanaged
{
    /// <summary>Products per tile, α².</summary>
    private static int Points { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => T.Alpha * T.Alpha; }
    /// <summary>Lanes of a vector; rows (tiles) and columns (output channels) of a micro-kernel tile.</summary>
    private static int Lanes => S.Lanes;
    private static int MR => S.TileRows;
    private static int NR => 2 * S.Lanes;
    /// <summary>Tiles per block, four micro-kernel rows: V and Mᵀ of the seed network's conv2 take 295 KB each at 512 bits.</summary>
    private static int TileBlock => 4 * MR;
    /// <summary>Images a thread copies and transforms at a time (4 · 49 tiles for conv2: 2 % of the GEMM rows wasted).</summary>
    private const int Group = 4;
    /// <summary>Tiles per block when the tiles are split over the threads: one micro-kernel row block, so one image's
    /// 49 tiles split 24 / 25 rather than 32 / 17.</summary>
    private static int SplitBlock => MR;
    /// <summary>Up to this many tiles past the last multiple of MR go through the one-row kernel rather than a full tile.</summary>
    private const int SingleRows = 2;
    /// <summary>Images copied at a time when the tiles, not the images, are split over the threads.</summary>
    private const int ChunkImages = 64;

    /// <summary>Whether this algorithm can run geometry <paramref name="g"/> at this width on this machine: r×r, stride 1, padding 0 to r − 1.</summary>
    public static bool Supports(in ConvGeometry g)
    {
        int r = T.Kernel;
        return S.IsSupported
            && g.KernelH == r && g.KernelW == r && g.StrideH == 1 && g.StrideW == 1
            && (uint)g.PadTop < r && (uint)g.PadBottom < r && (uint)g.PadLeft < r && (uint)g.PadRight < r;
    }

    /// <summary>The sizes of one call.</summary>
    private readonly struct Plan
    {
        public readonly ConvGeometry G;
        public readonly int Rows, RPad, KPad, TilesH, TilesW, PadH, PadW;
        public readonly float* U, Bias;
        public readonly bool HasBias;

        public Plan(in ConvGeometry g, int rows, float* u, float* bias, bool hasBias)
        {
            G = g; Rows = rows; U = u; Bias = bias; HasBias = hasBias;
            RPad = (rows + NR - 1) / NR * NR;
            KPad = (g.Channels + Lanes - 1) / Lanes * Lanes;
            int m = T.Out;
            TilesH = (g.OutH + m - 1) / m; TilesW = (g.OutW + m - 1) / m;
            PadH = m * TilesH + T.Kernel - 1; PadW = m * TilesW + T.Kernel - 1;
        }

        public long FrameSize => (long)PadH * PadW * KPad;
        public long VPlane => (long)TileBlock * KPad + WinogradBasis.PlaneSkew;
        public long MPlane => (long)TileBlock * RPad + WinogradBasis.PlaneSkew;
    }

    /// <summary>
    /// y = conv(x, w) + bias for a batch; <paramref name="rows"/> output channels, <paramref name="g"/>.Channels input
    /// channels. Without <paramref name="rotate"/> the weight is [rows, K, r, r]; with it, [K, rows, r, r] rotated 180°.
    /// <paramref name="transformed"/> is the caller's (a layer's) cache of the transformed weights.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(ComputeContext ctx, WinogradWeights transformed, float[] x, float[] weight, bool rotate, float[]? bias, float[] y,
        int batch, int rows, in ConvGeometry g)
    {
        int rPad = (rows + NR - 1) / NR * NR;
        TransformWeights(ctx, transformed, weight, rotate, rows, g.Channels, rPad);
        float* paddedBias = ctx.Workspace.Floats(Scratch.WinogradBias, rPad);
        if (bias is not null) bias.AsSpan(0, rows).CopyTo(new Span<float>(paddedBias, rows));
        var plan = new Plan(g, rows, transformed.U!.Pointer, paddedBias, bias is not null);

        int threads = ctx.Threads;
        if (batch >= 2 * Group * threads || threads == 1)
        {
            var job = new ImagesJob(plan, x, y, batch, BatchSplit.Parts(threads, batch));
            ctx.For(job.Parts, ref job);
            return;
        }
        int chunk = Math.Min(batch, ChunkImages);
        float* frame = ctx.Workspace.Floats(Scratch.WinogradSharedFrame, chunk * plan.FrameSize);
        for (int n0 = 0; n0 < batch; n0 += chunk)
        {
            int images = Math.Min(chunk, batch - n0);
            var copy = new CopyJob(plan, x, frame, n0, images, BatchSplit.Parts(threads, images));
            ctx.For(copy.Parts, ref copy);
            int blocks = (images * plan.TilesH * plan.TilesW + SplitBlock - 1) / SplitBlock;
            var tiles = new TilesJob(plan, frame, y, n0, images, blocks, BatchSplit.Parts(threads, blocks));
            ctx.For(tiles.Parts, ref tiles);
        }
    }

    /// <summary>A part of the batch, a few images at a time: copied channels-last, then transformed block by block.</summary>
    private readonly struct ImagesJob(Plan plan, float[] x, float[] y, int batch, int parts) : IParallelJob
    {
        public readonly int Parts = parts;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(batch, part, Parts);
            var g = plan.G;
            int tilesPerImage = plan.TilesH * plan.TilesW;
            float* frame = lane.Workspace.Floats(Scratch.WinogradFrame, Group * plan.FrameSize);
            for (int n0 = start; n0 < end; n0 += Group)
            {
                int images = Math.Min(Group, end - n0);
                ChannelsLast.Copy<S, V>(x, n0, images, g.Channels, g.InH, g.InW, g.PadTop, g.PadLeft, plan.PadH, plan.PadW, plan.KPad, frame);
                for (int t0 = 0; t0 < images * tilesPerImage; t0 += TileBlock)
                    ProcessBlock(plan, lane.Workspace, frame, y, n0, t0, Math.Min(TileBlock, images * tilesPerImage - t0));
            }
        }
    }

    /// <summary>Images [first + start, first + end) of a chunk copied channels-last into the shared frame.</summary>
    private readonly struct CopyJob(Plan plan, float[] x, float* frame, int first, int images, int parts) : IParallelJob
    {
        public readonly int Parts = parts;

        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(images, part, Parts);
            var g = plan.G;
            if (end > start)
                ChannelsLast.Copy<S, V>(x, first + start, end - start, g.Channels, g.InH, g.InW, g.PadTop, g.PadLeft,
                    plan.PadH, plan.PadW, plan.KPad, frame + start * plan.FrameSize);
        }
    }

    /// <summary>A range of blocks of <see cref="SplitBlock"/> tiles of a chunk copied into the shared frame.</summary>
    private readonly struct TilesJob(Plan plan, float* frame, float[] y, int first, int images, int blocks, int parts) : IParallelJob
    {
        public readonly int Parts = parts;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(blocks, part, Parts);
            int tiles = images * plan.TilesH * plan.TilesW;
            for (int b = start; b < end; b++)
                ProcessBlock(plan, lane.Workspace, frame, y, first, b * SplitBlock, Math.Min(SplitBlock, tiles - b * SplitBlock));
        }
    }

    // Uᵀ from the weights, unless it was made from this array at this version (comparing 51,200 weights took 5 µs a call);
    // the groups of L rows are split over the threads (made on every training step, before the passes that read it).
    private static void TransformWeights(ComputeContext ctx, WinogradWeights t, float[] weight, bool rotate, int rows, int k, int rPad)
    {
        if (t.Holds(weight, rotate, rows, k, T.Kernel, T.Out, NR)) return;
        long size = (long)Points * rPad * k;
        // Cleared when made: columns past the last row's lane group are never written and must stay zero.
        if (t.U is null || t.U.Length < size) { AlignedBuffer.Ensure(ref t.U, size); t.U!.Clear(size); }
        int groups = (rows + Lanes - 1) / Lanes;
        var job = new WeightsJob(weight, rotate, rows, k, rPad, t.U.Pointer, groups, BatchSplit.Parts(ctx.Threads, groups));
        ctx.For(job.Parts, ref job);
        t.MadeFrom(weight, rotate, rows, k, T.Kernel, T.Out, NR);
    }

    /// <summary>Uᵀ for a range of the groups of L rows (kernels r0 … r0 + L − 1 of every input channel).</summary>
    private readonly struct WeightsJob(float[] weight, bool rotate, int rows, int k, int rPad, float* u, int groups, int parts) : IParallelJob
    {
        public readonly int Parts = parts;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(groups, part, Parts);
            int taps = T.Kernel * T.Kernel, blocks = rPad / NR, lanes = Lanes;
            // g[e] lane j: tap e of kernel (r0 + j, c), gathered float by float (once per weight change).
            V* g = stackalloc V[taps];
            float* gathered = (float*)g;
            fixed (float* w = weight)
                for (int r0 = start * lanes; r0 < end * lanes; r0 += lanes)
                    for (int c = 0; c < k; c++)
                    {
                        for (int j = 0; j < lanes; j++)
                        {
                            // Kernel (r, c) is at (r·k + c)·taps, or rotated at (c·rows + r)·taps; lanes past the last row repeat it.
                            int r = Math.Min(r0 + j, rows - 1);
                            float* kernel = w + (rotate ? (long)c * rows + r : (long)r * k + c) * taps;
                            if (rotate) for (int e = 0; e < taps; e++) gathered[e * lanes + j] = kernel[taps - 1 - e];
                            else for (int e = 0; e < taps; e++) gathered[e * lanes + j] = kernel[e];
                        }
                        // Uᵀ[ξ] of column block r0 / NR is a k × NR panel: row c, columns r0 % NR ...
                        T.KernelTransform<S, V>(g, u + ((long)(r0 / NR) * k + c) * NR + r0 % NR, (long)blocks * k * NR);
                    }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    // Tiles [t0, t0 + count) of the images in a channels-last frame, whose first is image firstImage of the batch.
    // V (zero when the slot grows: rows past the last tile enter the GEMM, their results dropped) and Mᵀ are the thread's scratch.
    private static void ProcessBlock(in Plan plan, Workspace workspace, float* frame, float[] output, int firstImage, int t0, int count)
    {
        var g = plan.G;
        int k = g.Channels, rows = plan.Rows, kPad = plan.KPad, rPad = plan.RPad, rBlocks = rPad / NR;
        int tilesPerImage = plan.TilesH * plan.TilesW, tilesW = plan.TilesW, padW = plan.PadW, side = T.Out;
        long vPlane = plan.VPlane, mPlane = plan.MPlane;
        float* v = workspace.Floats(Scratch.WinogradV, Points * vPlane), m = workspace.Floats(Scratch.WinogradM, Points * mPlane), u = plan.U;
        int lanes = Lanes, mr = MR, nr = NR;
        V* scratch = stackalloc V[Points];

        // V = Bᵀ d B: tile by tile, L channels per vector.
        for (int tt = 0; tt < count; tt++)
        {
            int t = t0 + tt, n = t / tilesPerImage, r = t % tilesPerImage, ty = r / tilesW, tx = r % tilesW;
            float* window = frame + (((long)n * plan.PadH + side * ty) * padW + side * tx) * kPad;
            for (int c = 0; c < kPad; c += lanes)
                T.InputTransform<S, V>(window + c, (long)padW * kPad, kPad, v + (long)tt * kPad + c, vPlane, scratch);
        }

        // Mᵀ[ξ] = V[ξ] · Uᵀ[ξ]: tiles × rows, in MR × NR tiles (8 × 32 at 512 bits); the last few tiles of a block one by one.
        int fullRows = count / mr * mr, tileRows = count - fullRows <= SingleRows ? fullRows : count;
        for (int xi = 0; xi < Points; xi++)
            for (int rb = 0; rb < rBlocks; rb++)
            {
                float* uPanel = u + ((long)xi * rBlocks + rb) * k * nr, vPlane0 = v + xi * vPlane, mPlane0 = m + xi * mPlane + rb * nr;
                int tt = 0;
                for (; tt < tileRows; tt += mr)
                    GemmMicroKernel.Tile<S, V>(k, vPlane0 + (long)tt * kPad, kPad, 1, uPanel, mPlane0 + (long)tt * rPad, rPad, overwrite: true);
                for (; tt < count; tt++)
                    GemmMicroKernel.TileRow<S, V>(k, vPlane0 + (long)tt * kPad, uPanel, mPlane0 + (long)tt * rPad, overwrite: true);
            }

        // y = Aᵀ M A + b, L output channels per vector. A run of up to L / m tiles along a tile row gives L vectors per
        // output row (pixel-major), which an L×L transpose turns into L channels' rows of L pixels, stored in place.
        V* rowsOut = stackalloc V[lanes * side];
        int outW = g.OutW, outPlane = g.OutPlane;
        float* biasAll = plan.Bias;
        fixed (float* y = output)
            for (int tt = 0; tt < count;)
            {
                int t = t0 + tt, n = t / tilesPerImage, r = t % tilesPerImage, ty = r / tilesW, tx = r % tilesW;
                int run = Math.Min(Math.Min(lanes / side, tilesW - tx), count - tt);
                int width = Math.Min(side * run, outW - side * tx), height = Math.Min(side, g.OutH - side * ty);
                float* yRow = y + (long)(firstImage + n) * rows * outPlane + side * ty * outW + side * tx;
                for (int o0 = 0; o0 < rows; o0 += lanes)
                {
                    var bias = plan.HasBias ? S.Load(biasAll + o0) : S.Zero;
                    for (int i = 0; i < run; i++)
                        T.OutputTransform<S, V>(m + (long)(tt + i) * rPad + o0, mPlane, bias, rowsOut + side * i, lanes);
                    // Entries past side·run are left as they are: they become lanes that are not stored.
                    int channels = Math.Min(lanes, rows - o0);
                    for (int a = 0; a < height; a++)
                    {
                        V* row = rowsOut + a * lanes;
                        S.Transpose((float*)row);
                        for (int j = 0; j < channels; j++) S.StoreFirst(yRow + (long)(o0 + j) * outPlane + a * outW, row[j], width);
                    }
                }
                tt += run;
            }
    }
}
