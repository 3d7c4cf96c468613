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

/// <summary>
/// Older kernels not yet rewritten as stateless functions over a struct job (see docs/kernels.md): a kernel object
/// that keeps the call's operands in fields and processes image ranges. New kernels use
/// <see cref="ComputeContext.For{TJob}"/> directly.
/// </summary>
internal abstract class BatchParallelWork
{
    private int _batch, _parts;

    /// <summary>How many parts a batch of <paramref name="batch"/> images is split into on <paramref name="ctx"/>.</summary>
    public static int PartsFor(ComputeContext ctx, int batch) => BatchSplit.Parts(ctx.Threads, batch);

    /// <summary>Number of parts of the current run.</summary>
    protected int Parts => _parts;

    /// <summary>Runs <see cref="Process"/> over every part of a batch on <paramref name="ctx"/> and returns when all are done.</summary>
    protected void RunOver(ComputeContext ctx, int batch)
    {
        _batch = batch;
        _parts = PartsFor(ctx, batch);
        var job = new Job(this);
        ctx.For(_parts, ref job);
    }

    private readonly struct Job(BatchParallelWork work) : IParallelJob
    {
        public void Run(int index, ComputeContext lane) => work.Execute(index, lane);
    }

    private void Execute(int part, ComputeContext lane)
    {
        var (start, end) = BatchSplit.Range(_batch, part, _parts);
        if (end > start) Process(lane, part, start, end);
    }

    /// <summary>Processes images [start, end) as part <paramref name="part"/> of <see cref="Parts"/>, on the thread of <paramref name="lane"/>.</summary>
    protected abstract void Process(ComputeContext lane, int part, int start, int end);
}
