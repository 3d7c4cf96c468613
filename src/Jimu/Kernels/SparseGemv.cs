using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Jimu.Kernels;

/// <summary>
/// y[n] = W[n×k]·x[k] for one input row x with many zeros, reading only the weights of its non-zero entries. The
/// input of a hidden Linear layer is a ReLU's output: 40 % zeros for mnist-tf's fc1 at initialisation, near 80 %
/// once trained. One image through a Linear layer waits on memory (each weight is used once), so a skipped input
/// is a skipped row of weights and time. W is read from a packed copy (<see cref="SparseGemvWeights"/>): Wᵀ in
/// column blocks of B = 8 vectors (128 floats with AVX-512),
/// <code>
/// P[c][q][j] = W[c·B + j, q]    (0 past the last row)
/// y[c·B + j] = Σ_{q ascending, x[q] ≠ 0} x[q]·P[c][q][j]
/// </code>
/// one FMA chain per output, in the order the packed GEMM sums a row (a zero input adds nothing, as it does with
/// finite weights). Blocks are split over the threads; an output is always summed whole by one thread, so every
/// thread count gives the same bits.
/// </summary>
internal static unsafe class SparseGemv
{
    /// <summary>Vectors of outputs per block: eight accumulators, which every width has registers for beside its loads.</summary>
    private const int Vectors = 8;
    /// <summary>
    /// Non-zero inputs ahead whose weight rows are prefetched: the rows are read with gaps, which the hardware
    /// prefetchers follow less well than a plain stream (10 % faster, mnist-tf's fc1 from L3).
    /// </summary>
    private const int Ahead = 4;

    /// <summary>Whether this machine has vectors for it; without them <see cref="Multiply"/> is the plain product.</summary>
    public static bool Supported => GemmMicroKernel.Selected != GemmMicroKernel.Kind.Scalar;

    /// <summary>
    /// Whether an n×k layer gains from it: at least a block of outputs, and weights beyond L2's reach (256 KB), where
    /// the product waits on memory; a small layer's weights stay in cache and its plain product is as fast.
    /// </summary>
    public static bool Pays(int n, int k) => Supported && n >= Block && (long)n * k >= 1 << 16;

    /// <summary>Outputs per block B.</summary>
    public static int Block => GemmMicroKernel.Selected switch
    {
        GemmMicroKernel.Kind.Vector512 => Vectors * Simd512.Lanes,
        GemmMicroKernel.Kind.Vector256 => Vectors * Simd256.Lanes,
        _ => Vectors * Simd128.Lanes,
    };

    /// <summary>Floats of the packed copy of a <paramref name="rows"/>×<paramref name="columns"/> matrix.</summary>
    public static long PackedLength(int rows, int columns) => (long)Blocks(rows) * columns * Block;

    private static int Blocks(int rows) => (rows + Block - 1) / Block;

    /// <summary>P[c][q][j] = W[c·B + j, q] (0 past the last row), W row-major [rows×columns].</summary>
    public static void Pack(float[] weight, int rows, int columns, float* packed)
    {
        int block = Block;
        fixed (float* w = weight)
            for (int c = 0; c < Blocks(rows); c++)
            {
                float* panel = packed + (long)c * columns * block;
                int first = c * block, width = Math.Min(block, rows - first);
                // 64 columns of W at a time: the 64 rows of P they become (32 KB with AVX-512) stay in L1 while the block's rows fill them.
                for (int q0 = 0; q0 < columns; q0 += 64)
                {
                    int q1 = Math.Min(columns, q0 + 64);
                    for (int j = 0; j < block; j++)
                    {
                        float* row = w + (long)(first + j) * columns;
                        if (j < width) for (int q = q0; q < q1; q++) panel[(long)q * block + j] = row[q];
                        else for (int q = q0; q < q1; q++) panel[(long)q * block + j] = 0;
                    }
                }
            }
    }

    /// <summary>
    /// y = W·x (W [n×k] row-major, as a Linear layer stores it). The packed copy is used when
    /// <paramref name="packed"/> is ready for these weights (<see cref="SparseGemvWeights.Ready"/>: from their second
    /// use); before that the same block rows are gathered from W itself, slower but with the same sums in the same
    /// order, so one input gives the same bits on every call.
    /// </summary>
    public static void Multiply(ComputeContext ctx, SparseGemvWeights packed, long version, float[] weight, int n, int k,
        ReadOnlySpan<float> x, Span<float> y)
    {
        if (!Supported) throw new PlatformNotSupportedException("SparseGemv needs vectors; call Gemm.Multiply instead (Pays is false here).");
        if (x.Length < k || y.Length < n || weight.Length < (long)n * k)
            throw new ArgumentException($"SparseGemv: x has {x.Length} of {k} values, y {y.Length} of {n}, W {weight.Length} of {(long)n * k}.");
        float* panels = packed.Ready(weight, version, n, k) ? packed.Packed : null;
        // The non-zero inputs, compacted once for all threads: their indices and values.
        int* index = (int*)ctx.Workspace.Floats(Scratch.GemvIndices, k);
        float* value = ctx.Workspace.Floats(Scratch.GemvValues, k);
        int count = 0;
        for (int q = 0; q < k; q++)
        {
            // Branch-free: the slot is written either way and kept only for a non-zero.
            float v = x[q];
            index[count] = q; value[count] = v;
            count += v != 0f ? 1 : 0;
        }
        fixed (float* py = y)
        fixed (float* pw = weight)
        {
            int blocks = Blocks(n);
            int parts = Math.Min(ctx.Threads, blocks);
            var job = new BlocksJob(panels, pw, index, value, count, py, n, k, blocks, parts);
            if (parts == 1) job.Run(0, ctx);
            else ctx.For(parts, ref job);
        }
    }

    private readonly struct BlocksJob(float* panels, float* weight, int* index, float* value, int count, float* y, int n, int k, int blocks, int parts) : IParallelJob
    {
        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(blocks, part, parts);
            for (int c = start; c < end; c++)
            {
                switch (GemmMicroKernel.Selected)
                {
                    case GemmMicroKernel.Kind.Vector512: Sum<Simd512, Vector512<float>>(panels, weight, index, value, count, y, n, k, c); break;
                    case GemmMicroKernel.Kind.Vector256: Sum<Simd256, Vector256<float>>(panels, weight, index, value, count, y, n, k, c); break;
                    default: Sum<Simd128, Vector128<float>>(panels, weight, index, value, count, y, n, k, c); break;
                }
            }
        }
    }

    /// <summary>
    /// Outputs [c·B, c·B + B) ∩ [0, n): eight vectors of sums over the non-zero inputs' rows of block c, read from the
    /// packed panels, or (null) gathered from W's column q into a row like the panel's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sum<S, V>(float* panels, float* weight, int* index, float* value, int count, float* y, int n, int k, int c)
        where S : struct, ISimdWidth<V> where V : struct
    {
        int lanes = S.Lanes, block = Vectors * lanes, first = c * block, width = Math.Min(block, n - first);
        V s0 = S.Zero, s1 = S.Zero, s2 = S.Zero, s3 = S.Zero, s4 = S.Zero, s5 = S.Zero, s6 = S.Zero, s7 = S.Zero;
        if (panels is not null)
        {
            float* panel = panels + (long)c * k * block;
            for (int i = 0; i < count; i++)
            {
                float* p = panel + (long)index[i] * block;
                if (Sse.IsSupported && i + Ahead < count)
                {
                    byte* next = (byte*)(panel + (long)index[i + Ahead] * block);
                    for (int line = 0; line < block * sizeof(float); line += 64) Sse.Prefetch0(next + line);
                }
                var xv = S.Broadcast(value[i]);
                s0 = S.Fma(xv, S.Load(p), s0);
                s1 = S.Fma(xv, S.Load(p + lanes), s1);
                s2 = S.Fma(xv, S.Load(p + 2 * lanes), s2);
                s3 = S.Fma(xv, S.Load(p + 3 * lanes), s3);
                s4 = S.Fma(xv, S.Load(p + 4 * lanes), s4);
                s5 = S.Fma(xv, S.Load(p + 5 * lanes), s5);
                s6 = S.Fma(xv, S.Load(p + 6 * lanes), s6);
                s7 = S.Fma(xv, S.Load(p + 7 * lanes), s7);
            }
        }
        else
        {
            float* p = stackalloc float[Vectors * 16];
            new Span<float>(p, block).Clear(); // rows past the last stay 0, as in the panel
            float* rows = weight + (long)first * k;
            for (int i = 0; i < count; i++)
            {
                float* column = rows + index[i];
                for (int j = 0; j < width; j++) p[j] = column[(long)j * k];
                var xv = S.Broadcast(value[i]);
                s0 = S.Fma(xv, S.Load(p), s0);
                s1 = S.Fma(xv, S.Load(p + lanes), s1);
                s2 = S.Fma(xv, S.Load(p + 2 * lanes), s2);
                s3 = S.Fma(xv, S.Load(p + 3 * lanes), s3);
                s4 = S.Fma(xv, S.Load(p + 4 * lanes), s4);
                s5 = S.Fma(xv, S.Load(p + 5 * lanes), s5);
                s6 = S.Fma(xv, S.Load(p + 6 * lanes), s6);
                s7 = S.Fma(xv, S.Load(p + 7 * lanes), s7);
            }
        }
        if (width == block)
        {
            float* o = y + first;
            S.Store(o, s0); S.Store(o + lanes, s1); S.Store(o + 2 * lanes, s2); S.Store(o + 3 * lanes, s3);
            S.Store(o + 4 * lanes, s4); S.Store(o + 5 * lanes, s5); S.Store(o + 6 * lanes, s6); S.Store(o + 7 * lanes, s7);
            return;
        }
        // The last, partial block: through a buffer.
        float* sums = stackalloc float[Vectors * 16];
        S.Store(sums, s0); S.Store(sums + lanes, s1); S.Store(sums + 2 * lanes, s2); S.Store(sums + 3 * lanes, s3);
        S.Store(sums + 4 * lanes, s4); S.Store(sums + 5 * lanes, s5); S.Store(sums + 6 * lanes, s6); S.Store(sums + 7 * lanes, s7);
        for (int j = 0; j < width; j++) y[first + j] = sums[j];
    }
}
