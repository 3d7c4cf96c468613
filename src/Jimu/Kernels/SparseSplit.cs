namespace Jimu.Kernels;

/// <summary>
/// How <see cref="SparseGemm"/> splits C = op(A)·B over the threads. Each thread keeps its own part of what it writes
/// or reads next (see <see cref="WorkerPool"/>'s home lanes); none changes which sums an element of C gets.
/// </summary>
internal enum SparseSplit
{
    /// <summary>Column blocks of C: each thread reads its columns of B and writes its columns of C.</summary>
    Columns,

    /// <summary>
    /// Row ranges of C, as <see cref="BatchSplit.Range"/> cuts them: a Linear layer's dW = dyᵀ·x, whose rows are the
    /// weight rows that the same thread multiplies in the forward pass and steps in the optimizer.
    /// </summary>
    Rows,

    /// <summary>
    /// <see cref="SparseGemm.DepthGroups"/> fixed ranges of p (rows of B), summed apart and then added row range by row
    /// range: a Linear layer's dx = dy·W, where each thread reads only the weight rows it owns and the images' rows of
    /// dx end on the thread that owns those images. The bits are the same on every thread count (the groups are fixed),
    /// though not those of one chain over all of p.
    /// </summary>
    Depth,
}
