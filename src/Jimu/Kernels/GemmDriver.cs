using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Jimu.Kernels;

/// <summary>One call of <see cref="Gemm.Multiply"/>, with its operands pinned: C (=|+=) op(A)·op(B).</summary>
internal readonly unsafe struct GemmProblem(int m, int n, int k, float* a, int lda, bool transA,
    float* b, int ldb, bool transB, float* c, int ldc, bool accumulate)
{
    public readonly int M = m, N = n, K = k;
    public readonly float* A = a, B = b, C = c;
    public readonly int Lda = lda, Ldb = ldb, Ldc = ldc;
    public readonly bool TransA = transA, TransB = transB, Accumulate = accumulate;
}

/// <summary>
/// The GotoBLAS/BLIS loop nest around <see cref="GemmMicroKernel"/>, and the split over threads.
/// <code>
/// for jc in n by NC:                 B block kc×nc packed into NR-wide strips (L2)
///   for pc in k by KC:
///     for ic in m by MC:             A block mc×kc packed into MR-tall strips (L2)
///       for jr in nc by NR:          one B strip kc×NR stays in L1 ...
///         for ir in mc by MR:        ... while the A strips stream past it
///           C[ir.., jr..] (=|+=) Apack_ir · Bpack_jr     (MR×NR tile in registers)
/// </code>
/// The first k block overwrites C unless accumulating, so C is never cleared separately. In parallel, C is cut
/// into a few chunks per thread of whole-tile column ranges (or row ranges, when that balances better); each chunk
/// packs its own panels, into the workspace of the thread running it (<see cref="Scratch.GemmPack"/>).
/// </summary>
internal static unsafe class GemmDriver
{
    /// <summary>Depth of a packed block: a B strip (KC×NR floats, 32 KB at NR = 32) fits in L1.</summary>
    public const int KC = 256;

    /// <summary>Rows of a packed A block (MC×KC floats, 128 KB) kept in L2; rounded down to a multiple of MR.</summary>
    public static readonly int MC = 128 / GemmMicroKernel.MR * GemmMicroKernel.MR;

    /// <summary>Columns of a packed B block (KC×NC floats, 512 KB) kept in L2.</summary>
    public const int NC = 512;

    /// <summary>A of up to this many floats (padded) is packed once per call rather than once per column block.</summary>
    private const int WholeALimit = 96 * 1024;

    /// <summary>
    /// A B of at least this many floats (8 MB) comes from memory rather than cache: its blocks are prefetched
    /// (see <see cref="PrefetchB"/>). Below it, the prefetches cost more than they save.
    /// </summary>
    internal const long PrefetchBLimit = 2 << 20;

    /// <summary>Products of fewer multiply-adds than this run on the calling thread (tests lower it).</summary>
    public static long ParallelThreshold = 1 << 20;

    /// <summary>C (=|+=) op(A)·op(B) on <paramref name="ctx"/>: split over its threads when the product is large enough.</summary>
    public static void Run(ComputeContext ctx, in GemmProblem p, GemmSplit split = GemmSplit.Auto)
    {
        int threads = ctx.Threads;
        if (threads > 1 && (long)p.M * p.N * p.K >= ParallelThreshold)
        {
            var (splitN, chunks) = Split(threads, p.M, p.N, p.K, split);
            if (chunks > 1)
            {
                var job = new Chunks(p, splitN, chunks, splitN ? CeilDiv(p.N, GemmMicroKernel.NR) : CeilDiv(p.M, GemmMicroKernel.MR));
                ctx.For(chunks, ref job);
                return;
            }
        }
        Compute(p, 0, p.M, 0, p.N, ctx.Workspace);
    }

    /// <summary>
    /// How a product is cut over <paramref name="threads"/>: by columns of C (every chunk packs all of A) or by rows
    /// (every chunk packs all of B), whichever is cheaper, and into how many chunks. Chunk c of a column split holds
    /// columns in order, so on the pool's home lanes thread t gets the t-th range of columns: a Linear layer's forward
    /// product (x·Wᵀ, columns = output features) then reads only the weight rows that thread owns.
    /// </summary>
    internal static (bool SplitN, int Chunks) Split(int threads, int m, int n, int k, GemmSplit split = GemmSplit.Auto)
    {
        int mTiles = CeilDiv(m, GemmMicroKernel.MR), nTiles = CeilDiv(n, GemmMicroKernel.NR);
        var (costN, chunksN) = SplitCost(threads, nTiles, mTiles, m, n, k, duplicated: (long)m * k);
        var (costM, chunksM) = SplitCost(threads, mTiles, nTiles, m, n, k, duplicated: (long)k * n);
        return split switch
        {
            GemmSplit.Columns => (true, chunksN),
            GemmSplit.Rows => (false, chunksM),
            _ => costN <= costM ? (true, chunksN) : (false, chunksM),
        };
    }

    /// <summary>
    /// Rough time (in multiply-adds) of the busiest thread when <paramref name="tiles"/> are split over threads
    /// in chunks, each of which packs <paramref name="duplicated"/> floats of the other operand again
    /// (a packed float costing about as much as <see cref="PackCost"/> multiply-adds); and the number of chunks.
    /// Two chunks per thread, so a thread that starts late gets less, unless the repacking makes that too dear.
    /// </summary>
    private static (long Cost, int Chunks) SplitCost(int threads, int tiles, int otherTiles, int m, int n, int k, long duplicated)
    {
        long tileMacs = (long)GemmMicroKernel.MR * GemmMicroKernel.NR * k;
        int chunks = Math.Min(tiles, 2 * threads);
        if (duplicated * PackCost * chunks > (long)m * n * k / 20) chunks = Math.Min(tiles, threads);
        long cost = (long)CeilDiv(tiles, Math.Min(threads, chunks)) * otherTiles * tileMacs
            + (long)CeilDiv(chunks, threads) * duplicated * PackCost;
        return (cost, chunks);
    }

    /// <summary>Packing one float costs about as much time as this many multiply-adds in the micro-kernel.</summary>
    private const int PackCost = 8;

    private static int CeilDiv(int x, int y) => (x + y - 1) / y;

    /// <summary>One chunk of a parallel product: the columns (or rows) of a range of whole tiles.</summary>
    private readonly struct Chunks(GemmProblem problem, bool splitN, int chunks, int tiles) : IParallelJob
    {
        public void Run(int chunk, ComputeContext lane)
        {
            int width = splitN ? GemmMicroKernel.NR : GemmMicroKernel.MR;
            int extent = splitN ? problem.N : problem.M;
            int start = Math.Min(extent, (int)((long)tiles * chunk / chunks) * width);
            int end = Math.Min(extent, (int)((long)tiles * (chunk + 1) / chunks) * width);
            if (start >= end) return;
            if (splitN) Compute(problem, 0, problem.M, start, end, lane.Workspace);
            else Compute(problem, start, end, 0, problem.N, lane.Workspace);
        }
    }

    /// <summary>C[i0..i1, j0..j1] (=|+=) op(A)[i0..i1, :]·op(B)[:, j0..j1] on the calling thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Compute(in GemmProblem p, int i0, int i1, int j0, int j1, Workspace workspace)
    {
        int mr = GemmMicroKernel.MR, nr = GemmMicroKernel.NR, mcMax = MC;
        float* packA = workspace.Floats(Scratch.GemmPack, PackASize + (long)KC * NC), packB = packA + PackASize;
        float* edge = stackalloc float[mr * nr];

        // Equal k blocks, so no block is a sliver that pays the C load/store for little work.
        int kBlocks = CeilDiv(p.K, KC);
        int kcFull = CeilDiv(p.K, kBlocks);
        int mPadded = CeilDiv(i1 - i0, mr) * mr;
        bool wholeA = (long)mPadded * p.K <= WholeALimit;
        bool prefetchB = Sse.IsSupported && (long)p.K * p.N >= PrefetchBLimit;

        for (int jc = j0; jc < j1; jc += NC)
        {
            int nc = Math.Min(NC, j1 - jc);
            for (int pc = 0; pc < p.K; pc += kcFull)
            {
                int kc = Math.Min(kcFull, p.K - pc);
                GemmPacking.PackB(p.B, p.Ldb, p.TransB, pc, kc, jc, nc, nr, packB);
                bool overwrite = pc == 0 && !p.Accumulate;
                // The next B block, whose source is prefetched while this one is in use.
                int nextP = pc + kc < p.K ? pc + kc : 0, nextJ = pc + kc < p.K ? jc : jc + NC;
                int nextKc = Math.Min(kcFull, p.K - nextP), nextNc = prefetchB ? Math.Min(NC, j1 - nextJ) : 0;
                int slices = CeilDiv(nc, nr) * CeilDiv(Math.Min(mcMax, i1 - i0), mr), slice = 0;
                for (int ic = i0; ic < i1; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, i1 - ic);
                    bool packingB = ic == i0;
                    float* blockA;
                    if (wholeA)
                    {
                        // Laid out by k block, then by row block; packed during the first column block only.
                        blockA = packA + (long)pc * mPadded + (long)(ic - i0) * kc;
                        if (jc == j0) GemmPacking.PackA(p.A, p.Lda, p.TransA, ic, mc, pc, kc, mr, blockA);
                    }
                    else
                    {
                        blockA = packA;
                        GemmPacking.PackA(p.A, p.Lda, p.TransA, ic, mc, pc, kc, mr, blockA);
                    }
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int nCols = Math.Min(nr, nc - jr);
                        float* stripB = packB + (long)jr * kc;
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            // A slice per tile, so the next block's packing finds its source in cache.
                            if (packingB && nextNc > 0) PrefetchB(p, nextP, nextKc, nextJ, nextNc, slice++, slices);
                            int mRows = Math.Min(mr, mc - ir);
                            float* stripA = blockA + (long)ir * kc;
                            float* cTile = p.C + (long)(ic + ir) * p.Ldc + jc + jr;
                            if (mRows == mr && nCols == nr)
                                GemmMicroKernel.Tile(kc, stripA, stripB, cTile, p.Ldc, overwrite);
                            else if (nCols <= GemmMicroKernel.NarrowNR && mRows == mr && nCols == GemmMicroKernel.NarrowNR
                                && GemmMicroKernel.NarrowTile(kc, stripA, stripB, cTile, p.Ldc, overwrite)) { }
                            else if (nCols <= GemmMicroKernel.NarrowNR && GemmMicroKernel.NarrowTile(kc, stripA, stripB, edge, nr, overwrite: true))
                                StoreEdge(edge, nr, cTile, p.Ldc, mRows, nCols, overwrite);
                            else
                            {
                                GemmMicroKernel.Tile(kc, stripA, stripB, edge, nr, overwrite: true);
                                StoreEdge(edge, nr, cTile, p.Ldc, mRows, nCols, overwrite);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Prefetches slice <paramref name="part"/> of <paramref name="parts"/> of the source of the B block
    /// op(B)[p0..p0+kc, j0..j0+cols] into L2. Packing a block otherwise waits on memory for every stored row's
    /// piece (2 KB when B is k×n), too short for the hardware prefetcher to ramp up on; spread over the
    /// previous block's tiles, the loads overlap with the multiply-adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchB(in GemmProblem p, int p0, int kc, int j0, int cols, int part, int parts)
    {
        // Stored rows of the block, and floats of each of them.
        int rows = p.TransB ? cols : kc, width = p.TransB ? kc : cols;
        float* first = p.TransB ? p.B + (long)j0 * p.Ldb + p0 : p.B + (long)p0 * p.Ldb + j0;
        int r1 = (int)((long)rows * (part + 1) / parts);
        for (int r = (int)((long)rows * part / parts); r < r1; r++)
        {
            float* row = first + (long)r * p.Ldb;
            for (int j = 0; j < width; j += 16) Sse.Prefetch1(row + j);
            Sse.Prefetch1(row + width - 1);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StoreEdge(float* tile, int nr, float* c, int ldc, int rows, int cols, bool overwrite)
    {
        for (int i = 0; i < rows; i++, c += ldc, tile += nr)
        {
            if (overwrite) for (int j = 0; j < cols; j++) c[j] = tile[j];
            else for (int j = 0; j < cols; j++) c[j] += tile[j];
        }
    }

    /// <summary>Floats of the packed A panel (the packed B panel, KC×NC, follows it in <see cref="Scratch.GemmPack"/>).</summary>
    private static readonly long PackASize = Math.Max((long)MC * KC, WholeALimit);
}
