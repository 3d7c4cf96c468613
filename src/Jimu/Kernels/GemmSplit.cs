namespace Jimu.Kernels;

/// <summary>
/// How <see cref="Gemm.Multiply"/> and <see cref="SparseGemm"/> split C = op(A)·op(B) over the threads. On the pool's
/// home lanes (see <see cref="WorkerPool"/>) range t of a split runs on thread t, so a caller picks the split under
/// which each thread reads what it wrote before and writes what it reads next. No split changes which products an
/// element of C sums, except <see cref="Depth"/>, whose fixed groups do not depend on the thread count either.
/// </summary>
internal enum GemmSplit
{
    /// <summary>Whichever is cheaper (<see cref="GemmDriver.Split"/>); column blocks for <see cref="SparseGemm"/>.</summary>
    Auto,

    /// <summary>Column ranges of C: each thread reads its columns of op(B) and writes its columns of C.</summary>
    Columns,

    /// <summary>
    /// Row ranges of C, in order: a Linear layer's dW = dyᵀ·x, whose rows are the weight rows that the same thread
    /// multiplies in the forward pass (its columns of y = x·Wᵀ) and steps in the optimizer.
    /// </summary>
    Rows,

    /// <summary>
    /// <see cref="GemmDepth.Groups"/> fixed ranges of the inner dimension p, summed apart and then added row range by
    /// row range (<see cref="GemmDepth"/>): a Linear layer's dx = dy·W, where each thread reads only the weight rows
    /// it owns and the images' rows of dx end on the thread that owns those images. The bits are the same on every
    /// thread count, though not those of one sum over all of p.
    /// </summary>
    Depth,
}
