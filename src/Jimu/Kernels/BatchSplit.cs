namespace Jimu.Kernels;

/// <summary>
/// The split of a batch of images into contiguous image ranges, one per thread of the context (never more parts
/// than images). The split depends only on the batch size and the thread count, so results are deterministic for a
/// given thread count, whether or not the workers were free.
/// </summary>
internal static class BatchSplit
{
    /// <summary>How many parts a batch of <paramref name="batch"/> images is split into on <paramref name="threads"/> threads.</summary>
    public static int Parts(int threads, int batch) => Math.Max(1, Math.Min(threads, batch));

    /// <summary>Images [Start, End) of part <paramref name="part"/> of <paramref name="parts"/>.</summary>
    public static (int Start, int End) Range(int batch, int part, int parts) =>
        ((int)((long)batch * part / parts), (int)((long)batch * (part + 1) / parts));

    /// <summary>
    /// For work on one long array split into <paramref name="blocks"/> equal blocks: the elements of block
    /// <paramref name="block"/>, rounded to whole 16-float vectors so every block but the last is whole vectors.
    /// </summary>
    public static (int From, int To) ElementRange(int length, int blocks, int block) =>
        ((int)((long)length * block / blocks) & ~15, block == blocks - 1 ? length : (int)((long)length * (block + 1) / blocks) & ~15);
}
