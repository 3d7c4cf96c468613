namespace Jimu.Kernels;

/// <summary>
/// Work over a batch of images, split into contiguous image ranges, one per thread (<see cref="Parallelism.Threads"/>,
/// never more parts than images). The split depends only on the batch size and the thread count, so results are
/// deterministic for a given thread count. When the pool is busy the parts run one after another on the caller.
/// </summary>
internal abstract class BatchParallelWork : IParallelWork
{
    private int _batch, _parts;

    /// <summary>How many parts a batch of <paramref name="batch"/> images is split into.</summary>
    public static int PartsFor(int batch) => Math.Max(1, Math.Min(Parallelism.Threads, batch));

    /// <summary>Number of parts of the current run.</summary>
    protected int Parts => _parts;

    /// <summary>Runs <see cref="Process"/> over every part of a batch and returns when all are done.</summary>
    protected void RunOver(int batch)
    {
        _batch = batch;
        _parts = PartsFor(batch);
        if (_parts == 1 || !KernelThreads.TryRun(this, _parts, _parts))
            for (int p = 0; p < _parts; p++) Execute(p);
    }

    void IParallelWork.Execute(int part) => Execute(part);

    private void Execute(int part)
    {
        int start = (int)((long)_batch * part / _parts), end = (int)((long)_batch * (part + 1) / _parts);
        if (end > start) Process(part, start, end);
    }

    /// <summary>
    /// For work on one long array split into <paramref name="blocks"/> equal blocks (run with RunOver(blocks)): the
    /// elements of blocks [start, end), rounded to whole 16-float vectors so every part but the last is whole vectors.
    /// </summary>
    protected static (int From, int To) ElementRange(int length, int blocks, int start, int end) =>
        ((int)((long)length * start / blocks) & ~15, end == blocks ? length : (int)((long)length * end / blocks) & ~15);

    /// <summary>Processes images [start, end) as part <paramref name="part"/> of <see cref="Parts"/>.</summary>
    protected abstract void Process(int part, int start, int end);
}
