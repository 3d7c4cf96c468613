namespace Jimu.Kernels;

/// <summary>
/// Single-precision matrix multiply on row-major matrices:
/// C[m×n] = op(A)·op(B) (or C += op(A)·op(B) when <c>accumulate</c>), where op(A) is m×k and op(B) is k×n,
/// on the threads and scratch memory of <c>ctx</c> (inside a job's item: the item's lane).
/// A is stored m×k (row stride lda ≥ k), or k×m when transposed (lda ≥ m); likewise B is k×n, or n×k when transposed.
/// Every layer multiplies through this one entry point, so its implementation can change freely.
/// </summary>
/// <remarks>
/// The implementation is GotoBLAS/BLIS-style (see <see cref="GemmDriver"/>): panels of A and B are packed
/// (<see cref="GemmPacking"/>) so a register-tiled micro-kernel (<see cref="GemmMicroKernel"/>) streams them
/// from L1/L2; large products are split over the threads of the <see cref="ComputeContext"/>.
/// A product of at most <see cref="GemmSmallM.MaxRows"/> rows (one image through a Linear layer) streams B
/// unpacked instead (<see cref="GemmSmallM"/>); <c>split</c> chooses how a larger one is cut over the threads
/// (<see cref="GemmSplit"/>: by the caller's ownership of rows or columns, or in fixed depth groups). After warm-up a call allocates no managed memory. <see cref="GemmReference"/> is the plain algorithm it is tested against.
/// </remarks>
internal static class Gemm
{
    /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
    /// <exception cref="ArgumentException">A leading dimension is smaller than its row width, or a span is too short.</exception>
    public static unsafe void Multiply(ComputeContext ctx,
        int m, int n, int k,
        ReadOnlySpan<float> a, int lda, bool transA,
        ReadOnlySpan<float> b, int ldb, bool transB,
        Span<float> c, int ldc, bool accumulate = false, GemmSplit split = GemmSplit.Auto)
    {
        Validate(m, n, k, a.Length, lda, transA, b.Length, ldb, transB, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate)
                for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            return;
        }
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            var problem = new GemmProblem(m, n, k, pa, lda, transA, pb, ldb, transB, pc, ldc, accumulate);
            if (m <= GemmSmallM.MaxRows) GemmSmallM.Run(ctx, problem);
            else if (split == GemmSplit.Depth && k >= GemmDepth.Groups) GemmDepth.Run(ctx, problem);
            else GemmDriver.Run(ctx, problem, split);
        }
    }

    internal static void Validate(int m, int n, int k, int aLength, int lda, bool transA,
        int bLength, int ldb, bool transB, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), $"Negative GEMM size m={m}, n={n}, k={k}.");
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        CheckOperand("A", aRows, aCols, lda, aLength);
        CheckOperand("B", bRows, bCols, ldb, bLength);
        CheckOperand("C", m, n, ldc, cLength);
    }

    private static void CheckOperand(string name, int rows, int cols, int ld, int length)
    {
        if (rows == 0 || cols == 0) return;
        if (ld < cols) throw new ArgumentException($"GEMM: leading dimension of {name} ({ld}) is smaller than its {cols} columns.");
        long need = (long)(rows - 1) * ld + cols;
        if (length < need) throw new ArgumentException($"GEMM: {name} needs {need} elements for {rows}x{cols} with stride {ld}, got {length}.");
    }
}
