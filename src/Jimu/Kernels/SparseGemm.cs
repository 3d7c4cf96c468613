using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// C[m×n] = op(A)·B for an op(A) with mostly zeros, reading only the rows of B that its non-zero entries multiply:
/// <code>
/// C[i, :] = Σ_{p ascending, op(A)[i, p] ≠ 0} op(A)[i, p] · B[p, :]
/// </code>
/// A Linear layer's output gradient behind a ReLU and a dropout is such an A (mnist-tf's fc1: about 3 in 4 zeros), and
/// both of its backward products have this form: dx = dy·W (A = dy) and dW = dyᵀ·x (A = dyᵀ). The dense GEMM does
/// every multiply-add; this does the non-zero ones, at somewhat less speed each (a load of B per multiply-add).
/// op(A)'s non-zeros are listed row by row once (compressed rows: start, column, value); then C is cut into column
/// blocks of eight vectors whose sums stay in registers while a row's entries stream past, the blocks split over the
/// threads; B's rows are taken in passes whose piece of the block fits L1. Every element of C is one FMA chain in ascending p, summed whole by one thread, so the result does not
/// depend on the thread count; with finite B it equals the full sum's (a zero entry adds nothing).
/// </summary>
internal static unsafe class SparseGemm
{
    /// <summary>Vectors of C's columns per block: eight accumulators, which every width has registers for beside its loads.</summary>
    private const int Vectors = 8;

    /// <summary>
    /// The largest share of non-zero entries at which skipping the zeros pays: a multiply-add here costs up to twice
    /// one of the register-tiled GEMM (its operand comes from L1/L2, not a register), so below half it is faster.
    /// </summary>
    public const double MaxDensity = 0.45;

    /// <summary>Whether this machine has vectors for it.</summary>
    public static bool Supported => GemmMicroKernel.Selected != GemmMicroKernel.Kind.Scalar;

    /// <summary>Whether op(A) with <paramref name="nonZero"/> non-zero of its <paramref name="count"/> entries is sparse enough (see <see cref="MaxDensity"/>).</summary>
    public static bool Pays(long nonZero, long count) => Supported && nonZero <= MaxDensity * count;

    /// <summary>The non-zero values of <paramref name="x"/>.</summary>
    public static int CountNonZero(ReadOnlySpan<float> x)
    {
        int count = 0;
        foreach (float v in x) count += v != 0f ? 1 : 0;
        return count;
    }

    /// <summary>
    /// C[m×n] = op(A)·B, op(A) m×k: A stored m×k (row stride lda), or k×m when <paramref name="transA"/>; B k×n
    /// row-major (row stride ldb); C row stride ldc. Overwrites C.
    /// </summary>
    /// <exception cref="ArgumentException">A leading dimension is smaller than its row, or a span is too short.</exception>
    public static void Multiply(ComputeContext ctx, int m, int n, int k, ReadOnlySpan<float> a, int lda, bool transA,
        ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, GemmSplit split = GemmSplit.Auto)
    {
        if (!Supported) throw new PlatformNotSupportedException("SparseGemm needs vectors; call Gemm.Multiply instead (Pays is false here).");
        switch (GemmMicroKernel.Selected)
        {
            case GemmMicroKernel.Kind.Vector512: Multiply<Simd512, Vector512<float>>(ctx, m, n, k, a, lda, transA, b, ldb, c, ldc, split); break;
            case GemmMicroKernel.Kind.Vector256: Multiply<Simd256, Vector256<float>>(ctx, m, n, k, a, lda, transA, b, ldb, c, ldc, split); break;
            default: Multiply<Simd128, Vector128<float>>(ctx, m, n, k, a, lda, transA, b, ldb, c, ldc, split); break;
        }
    }

    /// <summary><see cref="Multiply"/> at the width of <typeparamref name="S"/> (the tests run every width the machine has).</summary>
    internal static void Multiply<S, V>(ComputeContext ctx, int m, int n, int k, ReadOnlySpan<float> a, int lda, bool transA,
        ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, GemmSplit split = GemmSplit.Auto) where S : struct, ISimdWidth<V> where V : struct
    {
        Gemm.Validate(m, n, k, a.Length, lda, transA, b.Length, ldb, false, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (split == GemmSplit.Depth && k < GemmDepth.Groups) split = GemmSplit.Columns;
        var ws = ctx.Workspace;
        int* start = (int*)ws.Floats(Scratch.SparseRowStarts, m + 1);
        int* index = (int*)ws.Floats(Scratch.SparseIndices, Math.Max(1L, (long)m * k));
        float* value = ws.Floats(Scratch.SparseValues, Math.Max(1L, (long)m * k));
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            if (transA) ListColumns(pa, lda, m, k, start, index, value);
            else ListRows(pa, lda, m, k, start, index, value);
            int blocks = (n + Vectors * S.Lanes - 1) / (Vectors * S.Lanes);
            if (split == GemmSplit.Depth)
            {
                Depth<S, V>(ctx, start, index, value, m, n, k, pb, ldb, pc, ldc, blocks);
                return;
            }
            int parts = Math.Min(ctx.Threads, split == GemmSplit.Rows ? m : blocks);
            var job = new BlocksJob<S, V>(start, index, value, m, n, k, pb, ldb, pc, ldc, blocks, parts, split == GemmSplit.Rows);
            if (parts == 1) job.Run(0, ctx);
            else ctx.For(parts, ref job);
        }
    }

    /// <summary>
    /// C = Σ_g op(A)[:, P_g]·B[P_g, :] over <see cref="GemmDepth.Groups"/> fixed ranges P_g of p (see
    /// <see cref="GemmDepth"/>): each element one chain in ascending p within its group, the groups then added.
    /// </summary>
    private static void Depth<S, V>(ComputeContext ctx, int* start, int* index, float* value, int m, int n, int k,
        float* b, int ldb, float* c, int ldc, int blocks) where S : struct, ISimdWidth<V> where V : struct
    {
        float* second = ctx.Workspace.Floats(Scratch.DepthPartial, (long)m * n);
        var groups = new DepthJob<S, V>(start, index, value, m, n, k, b, ldb, c, ldc, second, blocks, GemmDepth.Parts(ctx.Threads));
        ctx.For(groups.Parts, ref groups);
        GemmDepth.AddSecond(ctx, c, ldc, second, m, n);
    }

    private readonly struct DepthJob<S, V>(int* start, int* index, float* value, int m, int n, int k, float* b, int ldb,
        float* c, int ldc, float* second, int blocks, int parts) : IParallelJob where S : struct, ISimdWidth<V> where V : struct
    {
        public readonly int Parts = parts;

        public void Run(int part, ComputeContext lane)
        {
            var (group, item, items) = GemmDepth.Share(part, Parts);
            var (b0, b1) = BatchSplit.Range(blocks, item, items);
            var (p0, p1) = BatchSplit.Range(k, group, GemmDepth.Groups);
            float* target = group == 0 ? c : second;
            long ld = group == 0 ? ldc : n;
            int* cursor = (int*)lane.Workspace.Floats(Scratch.SparseCursors, m);
            Columns<S, V>(start, index, value, cursor, m, n, p0, p1, b, ldb, target, ld, b0, b1);
        }
    }

    /// <summary>The non-zeros of row-major A[m×k], row by row (branch-free: each slot is written, and kept only for a non-zero).</summary>
    private static void ListRows(float* a, int lda, int m, int k, int* start, int* index, float* value)
    {
        int count = 0;
        for (int i = 0; i < m; i++)
        {
            start[i] = count;
            float* row = a + (long)i * lda;
            for (int p = 0; p < k; p++)
            {
                float v = row[p];
                index[count] = p; value[count] = v;
                count += v != 0f ? 1 : 0;
            }
        }
        start[m] = count;
    }

    /// <summary>The non-zeros of op(A) = Aᵀ, A stored k×m: counted per column of A, then placed in ascending p.</summary>
    private static void ListColumns(float* a, int lda, int m, int k, int* start, int* index, float* value)
    {
        new Span<int>(start, m + 1).Clear();
        for (int p = 0; p < k; p++)
        {
            float* row = a + (long)p * lda;
            for (int i = 0; i < m; i++) start[i + 1] += row[i] != 0f ? 1 : 0;
        }
        for (int i = 0; i < m; i++) start[i + 1] += start[i];
        // start[i] runs ahead as row i fills, then is moved back.
        for (int p = 0; p < k; p++)
        {
            float* row = a + (long)p * lda;
            for (int i = 0; i < m; i++)
            {
                float v = row[i];
                if (v == 0f) continue;
                int slot = start[i]++;
                index[slot] = p; value[slot] = v;
            }
        }
        for (int i = m; i > 0; i--) start[i] = start[i - 1];
        start[0] = 0;
    }

    private readonly struct BlocksJob<S, V>(int* start, int* index, float* value, int m, int n, int k, float* b, int ldb, float* c, int ldc,
        int blocks, int parts, bool rows) : IParallelJob where S : struct, ISimdWidth<V> where V : struct
    {
        public void Run(int part, ComputeContext lane)
        {
            if (rows)
            {
                // Rows [r0, r1) of C, every column: the row starts are offsets into the whole list, so they slice as they are.
                var (r0, r1) = BatchSplit.Range(m, part, parts);
                int* rowCursor = (int*)lane.Workspace.Floats(Scratch.SparseCursors, r1 - r0);
                Columns<S, V>(start + r0, index, value, rowCursor, r1 - r0, n, 0, k, b, ldb, c + (long)r0 * ldc, ldc, 0, blocks);
                return;
            }
            var (first, end) = BatchSplit.Range(blocks, part, parts);
            int* cursor = (int*)lane.Workspace.Floats(Scratch.SparseCursors, m);
            Columns<S, V>(start, index, value, cursor, m, n, 0, k, b, ldb, c, ldc, first, end);
        }
    }

    /// <summary>C's column blocks [first, end) of eight vectors each (the last one narrower), every row, summing over p in [p0, p1).</summary>
    private static void Columns<S, V>(int* start, int* index, float* value, int* cursor, int m, int n, int p0, int p1, float* b, long ldb,
        float* c, long ldc, int first, int end) where S : struct, ISimdWidth<V> where V : struct
    {
        int lanes = S.Lanes, block = Vectors * lanes;
        // Rows of B per pass: their piece of the block (16 KB) stays in L1 while every row of C takes its entries there.
        int depth = Math.Max(1, L1Floats / block);
        for (int blk = first; blk < end; blk++)
        {
            int j = blk * block, width = Math.Min(block, n - j);
            if (width == block) Rows<S, V, Eight>(start, index, value, cursor, m, p0, p1, depth, b + j, ldb, c + j, ldc, lanes);
            else
            {
                // The last block: four vectors, then one at a time, the last one masked.
                for (; width >= 4 * lanes; j += 4 * lanes, width -= 4 * lanes)
                    Rows<S, V, Four>(start, index, value, cursor, m, p0, p1, depth, b + j, ldb, c + j, ldc, lanes);
                for (; width > 0; j += lanes, width -= lanes)
                    Rows<S, V, One>(start, index, value, cursor, m, p0, p1, depth, b + j, ldb, c + j, ldc, Math.Min(width, lanes));
            }
        }
    }

    /// <summary>Floats of B a pass keeps in L1 (16 KB: half of it, the rest for C and the lists).</summary>
    private const int L1Floats = 4096;

    /// <summary>
    /// Columns [0, T.Count vectors) of every row of C (of the last vector only <paramref name="valid"/> lanes when T is
    /// One), in passes over <paramref name="depth"/> rows of B at a time. A row's sums go on from where the last pass
    /// stored them, so each element is still one chain in ascending p: the passes change where B is read from, not
    /// the arithmetic.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<S, V, T>(int* start, int* index, float* value, int* cursor, int m, int from, int to, int depth,
        float* b, long ldb, float* c, long ldc, int valid)
        where S : struct, ISimdWidth<V> where V : struct where T : struct, IVectorCount
    {
        int lanes = S.Lanes;
        bool masked = valid < lanes;
        new Span<int>(start, m).CopyTo(new Span<int>(cursor, m));
        if (from > 0)
            for (int i = 0; i < m; i++)
            {
                int e = cursor[i], e1 = start[i + 1];
                while (e < e1 && index[e] < from) e++;
                cursor[i] = e;
            }
        for (int p0 = from; p0 < to; p0 += depth)
        {
            int p1 = Math.Min(to, p0 + depth);
            bool firstPass = p0 == from;
            float* ci = c;
            for (int i = 0; i < m; i++, ci += ldc)
            {
                int e = cursor[i], e1 = start[i + 1];
                // No entry in this pass: the row's sums stay where they are (the first pass stores even an empty row's zeros).
                if (!firstPass && (e == e1 || index[e] >= p1)) continue;
                V s0, s1 = S.Zero, s2 = S.Zero, s3 = S.Zero, s4 = S.Zero, s5 = S.Zero, s6 = S.Zero, s7 = S.Zero;
                if (firstPass) s0 = S.Zero;
                else if (T.Count == 1) s0 = masked ? S.LoadFirst(ci, valid) : S.Load(ci);
                else
                {
                    s0 = S.Load(ci); s1 = S.Load(ci + lanes); s2 = S.Load(ci + 2 * lanes); s3 = S.Load(ci + 3 * lanes);
                    if (T.Count == 8)
                    {
                        s4 = S.Load(ci + 4 * lanes); s5 = S.Load(ci + 5 * lanes); s6 = S.Load(ci + 6 * lanes); s7 = S.Load(ci + 7 * lanes);
                    }
                }
                for (; e < e1 && index[e] < p1; e++)
                {
                    float* row = b + index[e] * ldb;
                    var av = S.Broadcast(value[e]);
                    if (T.Count == 1)
                    {
                        s0 = S.Fma(av, masked ? S.LoadFirst(row, valid) : S.Load(row), s0);
                        continue;
                    }
                    s0 = S.Fma(av, S.Load(row), s0);
                    s1 = S.Fma(av, S.Load(row + lanes), s1);
                    s2 = S.Fma(av, S.Load(row + 2 * lanes), s2);
                    s3 = S.Fma(av, S.Load(row + 3 * lanes), s3);
                    if (T.Count == 8)
                    {
                        s4 = S.Fma(av, S.Load(row + 4 * lanes), s4);
                        s5 = S.Fma(av, S.Load(row + 5 * lanes), s5);
                        s6 = S.Fma(av, S.Load(row + 6 * lanes), s6);
                        s7 = S.Fma(av, S.Load(row + 7 * lanes), s7);
                    }
                }
                cursor[i] = e;
                if (T.Count == 1)
                {
                    if (masked) S.StoreFirst(ci, s0, valid);
                    else S.Store(ci, s0);
                    continue;
                }
                S.Store(ci, s0); S.Store(ci + lanes, s1); S.Store(ci + 2 * lanes, s2); S.Store(ci + 3 * lanes, s3);
                if (T.Count == 8)
                {
                    S.Store(ci + 4 * lanes, s4); S.Store(ci + 5 * lanes, s5); S.Store(ci + 6 * lanes, s6); S.Store(ci + 7 * lanes, s7);
                }
            }
        }
    }

    /// <summary>Vectors of columns a call of <see cref="Rows{S, V, T}"/> computes: a JIT-time constant, so the unused accumulators' code is dropped.</summary>
    private interface IVectorCount { static abstract int Count { get; } }
    private readonly struct Eight : IVectorCount { public static int Count => 8; }
    private readonly struct Four : IVectorCount { public static int Count => 4; }
    private readonly struct One : IVectorCount { public static int Count => 1; }
}
