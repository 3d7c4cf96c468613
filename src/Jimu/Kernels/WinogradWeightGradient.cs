using System.Runtime.CompilerServices;

namespace Jimu.Kernels;

/// <summary>
/// The weight gradient of an r×r, stride-1 convolution by Winograd F(m×m, r×r) (<typeparamref name="T"/>) at the vector
/// width <typeparamref name="S"/>, the gradient of its forward pass (<see cref="WinogradForward{T, S, V}"/>):
/// <code>
/// dM_{o,t} = A dY_{o,t} Aᵀ                     dY_{o,t}: the m×m output-gradient tile t of channel o
/// dU[ξ][o][c] = Σ_t dM[ξ][o][t] · V[ξ][c][t]    36 GEMMs, O × C × T, the sum over tiles t as the GEMM depth
/// dW[o][c] = Gᵀ dU[·][o][c] G;   db[o] = Σ dY[o]
/// </code>
/// Here the GEMM's depth is the tiles, so its operands are laid out with channels along the vector lanes: the input
/// and the output gradient are first copied channels-last (NHWC, zero-padded), which makes every 6×6 window a
/// set of 36 contiguous L-channel loads. dM is stored [ξ][tile][o] and read unpacked as the GEMM's A (rows o, depth t);
/// V is packed as its B panels, NR = 2L input channels wide. The batch is cut into a fixed number of image groups
/// (<see cref="ImageGroups"/>), split over the threads as every layer splits the images; a thread copies one image
/// at a time (its copies, V and dM stay in L2), sums a group's dU over chunks of 64 tiles (which may span the group's
/// images) and turns it into the group's dW = Gᵀ dU G (r² floats per channel pair, fewer than dU's α²), and the
/// groups' dW are added along a fixed tree: the same bits on any number of threads, and one thread reads of the
/// other's only its part's sum of dW.
/// </summary>
[SkipLocalsInit]
internal static unsafe class WinogradWeightGradient<T, S, V>
    where T : struct, IWinogradTiles where S : struct, ISimdWidth<V> where V : unmanaged
{
    /// <summary>Products per tile, α².</summary>
    private static int Points { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => T.Alpha * T.Alpha; }
    /// <summary>Lanes of a vector; rows (output channels) and columns (input channels) of a micro-kernel tile.</summary>
    private static int Lanes => S.Lanes;
    private static int MR => S.TileRows;
    private static int NR => 2 * S.Lanes;
    /// <summary>Tiles per GEMM pass: V (36·C·64) and dM (36·O·64) of the seed network's conv2 take 885 KB.</summary>
    private const int ChunkTiles = 64;

    /// <summary>The sizes of one call.</summary>
    private readonly struct Plan
    {
        public readonly ConvGeometry G;
        /// <summary>CPad: input channels in whole NR-wide panels; OPad: output channels in whole vectors; ORows: OPad in whole MR-row tiles.</summary>
        public readonly int OutChannels, CPad, OPad, ORows, TilesH, TilesW, PadH, PadW;

        public Plan(in ConvGeometry g, int outChannels)
        {
            G = g; OutChannels = outChannels;
            CPad = (g.Channels + NR - 1) / NR * NR;
            OPad = (outChannels + Lanes - 1) / Lanes * Lanes;
            ORows = (OPad + MR - 1) / MR * MR;
            int m = T.Out;
            TilesH = (g.OutH + m - 1) / m; TilesW = (g.OutW + m - 1) / m;
            PadH = m * TilesH + T.Kernel - 1; PadW = m * TilesW + T.Kernel - 1;
        }

        public long DuSize => (long)Points * ORows * CPad;
        /// <summary>One output channel's dW in vector blocks: ⌈C⌉ₗ · r² floats; a group's slot holds O of them.</summary>
        public long SlotRow => (long)(G.Channels + Lanes - 1) / Lanes * Lanes * T.Kernel * T.Kernel;
        public long SlotSize => OutChannels * SlotRow;
    }

    /// <summary>dW[O, C, r, r] (and db[O] when given) = the batch sums of the gradients.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(ComputeContext ctx, float[] x, float[] dy, float[] dWeight, float[]? dBias, int batch, int outChannels, in ConvGeometry g)
    {
        var plan = new Plan(g, outChannels);
        var groups = new ImageGroups(batch, ctx.Threads);
        // Each image group's dW (as Gᵀ dU G, vector-blocked) and db, added up below along the groups' fixed tree.
        float* slots = ctx.Workspace.Floats(Scratch.PartWeightGradients, groups.Count * plan.SlotSize);
        double[] groupDb = ctx.Workspace.Doubles(Scratch.PartBiasGradients, groups.Count * outChannels);
        var job = new GroupsJob(plan, groups, x, dy, slots, groupDb);
        ctx.For(groups.Parts, ref job);

        // The rest of the tree and dW = slot 0 in [O][C][r][r] order, the output channels split over the threads.
        var finish = new FinishJob(plan, groups, slots, dWeight, BatchSplit.Parts(ctx.Threads, outChannels));
        ctx.For(finish.Parts, ref finish);
        if (dBias is not null) groups.SumDoubles(groupDb, outChannels, dBias);
    }

    /// <summary>For a range of output channels o: the groups' tree over their slots' rows o, then dW[o] from the vector blocks.</summary>
    private readonly struct FinishJob(Plan plan, ImageGroups groups, float* slots, float[] dWeight, int ranges) : IParallelJob
    {
        public readonly int Parts = ranges;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int range, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(plan.OutChannels, range, Parts);
            long row = plan.SlotRow;
            groups.ReduceRest(slots, plan.SlotSize, start * row, end * row);
            int lanes = Lanes, c = plan.G.Channels, taps = T.Kernel * T.Kernel;
            fixed (float* dw = dWeight)
                for (int o = start; o < end; o++)
                    for (int c0 = 0; c0 < c; c0 += lanes)
                    {
                        float* entries = slots + o * row + (long)c0 * taps;
                        int count = Math.Min(lanes, c - c0);
                        float* kernel = dw + ((long)o * c + c0) * taps;
                        for (int e = 0; e < taps; e++)
                            for (int j = 0; j < count; j++) kernel[j * taps + e] = entries[e * lanes + j];
                    }
        }
    }

    /// <summary>The image groups of one part, one group at a time, then the part's own nodes of the groups' tree.</summary>
    private readonly struct GroupsJob(Plan plan, ImageGroups groups, float[] x, float[] dy, float* slots, double[] groupDb) : IParallelJob
    {
        public void Run(int part, ComputeContext lane)
        {
            var (first, last) = groups.GroupsOfPart(part);
            for (int group = first; group < last; group++)
            {
                var (start, end) = groups.Images(group);
                Group(plan, lane.Workspace, x, dy, slots + group * plan.SlotSize,
                    groupDb.AsSpan(group * plan.OutChannels, plan.OutChannels), start, end);
            }
            groups.ReduceWithin(part, slots, plan.SlotSize);
        }
    }

    /// <summary>
    /// Images [start, end): their dU summed in the thread's scratch, then the group's dW = Gᵀ dU G into
    /// <paramref name="slot"/> (vector blocks [o][c / L][tap][L]), their db into <paramref name="db"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Group(in Plan plan, Workspace workspace, float[] input, float[] outputGradient, float* slot, Span<double> db, int start, int end)
    {
        var g = plan.G;
        int outChannels = plan.OutChannels, cPad = plan.CPad, oPad = plan.OPad, oRows = plan.ORows, tilesW = plan.TilesW, padW = plan.PadW;
        int lanes = Lanes, nr = NR;
        int tilesPerImage = plan.TilesH * tilesW;
        int side = T.Out, oh2 = side * plan.TilesH, ow2 = side * tilesW;
        long xSize = (long)plan.PadH * padW * cPad;
        float* x = workspace.Floats(Scratch.WinogradImage, xSize + (long)oh2 * ow2 * oPad);
        float* dy = x + xSize;
        long vPlane = (long)cPad * ChunkTiles + WinogradBasis.PlaneSkew, mPlane = (long)oRows * ChunkTiles + WinogradBasis.PlaneSkew;
        float* v = workspace.Floats(Scratch.WinogradV, Points * vPlane);
        float* dm = workspace.Floats(Scratch.WinogradM, Points * mPlane);
        float* du = workspace.Floats(Scratch.WinogradPartDu, plan.DuSize);
        // Rows of dM past the output channels (where MR does not divide them) enter the GEMM as zeros; their dU is not read.
        if (oRows > oPad) new Span<float>(dm, checked((int)(Points * mPlane))).Clear();

        int outPlane = g.OutPlane;
        for (int o = 0; o < outChannels; o++)
        {
            double s = 0;
            for (int n = start; n < end; n++) s += Elementwise.Sum(outputGradient.AsSpan((n * outChannels + o) * outPlane, outPlane));
            db[o] = s;
        }

        int oBlocks = oRows / MR, cStrips = cPad / nr;
        V* scratch = stackalloc V[Points];
        V* dyTile = stackalloc V[side * side];
        // Tiles fill chunks across image boundaries: the GEMM depth stays near 64 even for a 14×14 image's 16 tiles of
        // 4×4 (one image per pass made it 16, a quarter of the micro-kernel's work per C load and store). The group's
        // tiles are cut into chunks of equal depth (a 28×28 image's 49 tiles × 8 images: 7 of 56, not 6 of 64 and one of 8).
        long groupTiles = (long)(end - start) * tilesPerImage;
        int chunks = (int)Math.Max(1, (groupTiles + ChunkTiles - 1) / ChunkTiles), chunkTiles = (int)((groupTiles + chunks - 1) / chunks);
        bool first = true;
        int filled = 0;
        for (int image = start; image < end; image++)
        {
            // Channels-last, zero-padded copies of the image: x[padH][padW][cPad], dy[m·TH][m·TW][oPad].
            ChannelsLast.Copy<S, V>(input, image, 1, g.Channels, g.InH, g.InW, g.PadTop, g.PadLeft, plan.PadH, padW, cPad, x);
            ChannelsLast.Copy<S, V>(outputGradient, image, 1, outChannels, g.OutH, g.OutW, 0, 0, oh2, ow2, oPad, dy);
            for (int r = 0; r < tilesPerImage; r++)
            {
                int ty = r / tilesW, tx = r % tilesW, tt = filled;
                // V[ξ][c strip][tile][NR]: the packed B panels of the GEMM, L channels per vector.
                float* window = x + ((long)side * ty * padW + side * tx) * cPad;
                for (int c = 0; c < cPad; c += lanes)
                    T.InputTransform<S, V>(window + c, (long)padW * cPad, cPad,
                        v + ((long)(c / nr) * ChunkTiles + tt) * nr + c % nr, vPlane, scratch);
                // dM[ξ][tile][o]: the GEMM's A, read unpacked (depth stride ORows), L output channels per vector.
                float* tileDy = dy + ((long)side * ty * ow2 + side * tx) * oPad;
                for (int o = 0; o < oPad; o += lanes)
                {
                    for (int a = 0; a < side; a++)
                        for (int bb = 0; bb < side; bb++)
                            dyTile[a * side + bb] = S.Load(tileDy + ((long)a * ow2 + bb) * oPad + o);
                    T.OutputGradientTransform<S, V>(dyTile, dm + (long)tt * oRows + o, mPlane);
                }
                if (++filled < chunkTiles) continue;
                Accumulate(filled, dm, mPlane, v, vPlane, du, oBlocks, cStrips, oRows, cPad, first);
                first = false;
                filled = 0;
            }
        }
        if (filled > 0) Accumulate(filled, dm, mPlane, v, vPlane, du, oBlocks, cStrips, oRows, cPad, first);

        // dW[o][c] = Gᵀ dU[·][o][c] G, L input channels per vector, stored as they come out (the finish reorders them once).
        int channels = g.Channels, taps = T.Kernel * T.Kernel;
        for (int o = 0; o < outChannels; o++)
            for (int c0 = 0; c0 < channels; c0 += lanes)
                T.KernelGradientTransform<S, V>(du + (long)o * cPad + c0, (long)oRows * cPad, (V*)(slot + o * plan.SlotRow + (long)c0 * taps));
    }

    /// <summary>dU[ξ] (=|+=) dM[ξ] · V[ξ]ᵀ over the <paramref name="count"/> tiles of a chunk.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate(int count, float* dm, long mPlane, float* v, long vPlane, float* du, int oBlocks, int cStrips,
        int oRows, int cPad, bool overwrite)
    {
        int mr = MR, nr = NR;
        for (int xi = 0; xi < Points; xi++)
            for (int ob = 0; ob < oBlocks; ob++)
                for (int cs = 0; cs < cStrips; cs++)
                    GemmMicroKernel.Tile<S, V>(count, dm + xi * mPlane + ob * mr, 1, oRows, v + xi * vPlane + (long)cs * nr * ChunkTiles,
                        du + ((long)xi * oRows + ob * mr) * cPad + cs * nr, cPad, overwrite);
    }
}
