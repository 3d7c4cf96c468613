using System.Diagnostics;
using System.Runtime.CompilerServices;
using Jimu.Kernels;

namespace Jimu;

/// <summary>
/// Where kernels run: a number of threads (the caller and <see cref="Threads"/> − 1 workers, started on first use and
/// ended by <see cref="Dispose"/>) and the scratch memory the kernels work in. A context serves one caller at a
/// time; give each thread its own (a <see cref="Models.Model"/> does this for its concurrent
/// <see cref="Models.Model.Predict"/> callers). The thread count decides how work is split, so results are
/// deterministic for a given count; they do not depend on whether the workers were free.
/// </summary>
/// <remarks>
/// Not called ExecutionContext, which <c>System.Threading</c> (an implicit using) already defines.
/// <code>
/// using var ctx = new ComputeContext(threads: 4);
/// network.Context = ctx;           // a Sequential and its layers run on it
/// </code>
/// </remarks>
public sealed class ComputeContext : IDisposable
{
    private readonly WorkerPool? _pool;
    private readonly bool _ownsPool;
    private ComputeContext? _lane;
    private bool _inline;

    /// <summary>A context of <paramref name="threads"/> threads (at least 1): the caller and threads − 1 workers.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is less than 1.</exception>
    public ComputeContext(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), $"A context needs at least 1 thread, got {threads}.");
        Threads = threads;
        if (threads > 1) { _pool = new WorkerPool(threads - 1); _ownsPool = true; }
    }

    private ComputeContext(int threads, WorkerPool? pool)
    {
        Threads = threads;
        _pool = pool;
    }

    /// <summary>A one-thread context for the thread that runs a job's items (a worker's, or the caller's).</summary>
    internal static ComputeContext Lane() => new(1, null);

    /// <summary>
    /// A context for another caller: the same threads and workers (one job runs on them at a time; a job started
    /// while they are busy runs on its caller, split the same way), its own scratch memory. Disposing it leaves the
    /// workers to this context.
    /// </summary>
    internal ComputeContext Fork() => new(Threads, _pool);

    /// <summary>Worker threads running now (for tests): none before the first parallel job and after <see cref="Dispose"/>.</summary>
    internal int LiveWorkers => _pool?.LiveWorkers ?? 0;

    /// <summary>Test hook: the trace of which lane ran which item (see <see cref="LaneTrace"/>); needs workers (more than one thread).</summary>
    internal LaneTrace? Trace
    {
        get => _pool?.Trace;
        set => (_pool ?? throw new InvalidOperationException("A one-thread context has no lanes to trace.")).Trace = value;
    }

    /// <summary>Test hook: lanes run only their own items (see <see cref="WorkerPool.NoStealing"/>).</summary>
    internal bool NoStealing
    {
        get => _pool?.NoStealing ?? false;
        set => (_pool ?? throw new InvalidOperationException("A one-thread context has no lanes.")).NoStealing = value;
    }

    /// <summary>
    /// Items of parallel jobs run so far on this context's workers (and its forks'), and of them those that another
    /// lane than their home ran (a worker that woke late, or a caller that was descheduled): each such item's data
    /// crossed between the cores. (0, 0) on one thread.
    /// </summary>
    internal (long Items, long Stolen) LaneCounts => _pool?.Counts ?? (0, 0);

    /// <summary>Threads that kernels split work over (at least 1).</summary>
    public int Threads { get; }

    /// <summary>Scratch memory for kernels called on this context (see <see cref="Scratch"/>).</summary>
    internal Workspace Workspace => field ??= new Workspace();

    /// <summary>
    /// Runs <paramref name="job"/>.Run(i, lane) for i in [0, <paramref name="count"/>) and returns when all are done:
    /// on the calling thread and up to <see cref="Threads"/> − 1 workers, each item with the one-thread context of
    /// the thread that runs it. Lane l of T runs items [l·n/T, (l+1)·n/T) (the caller is lane 0) unless another lane
    /// finishes first and takes some of them; nothing is allocated. <paramref name="job"/> must be a
    /// local variable of the caller. When the workers are busy (or inside an item) the items run in order on the caller.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void For<TJob>(int count, ref TJob job) where TJob : struct, IParallelJob
    {
        var lane = _lane ??= Lane();
        if (_pool is not null && !_inline && count > 1 && _pool.TryRun(ref job, count, Math.Min(Threads, count), lane)) return;
        if (_pool?.Trace is { } trace) Traced(trace, count, ref job, lane);
        else for (int i = 0; i < count; i++) job.Run(i, lane);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Traced<TJob>(LaneTrace trace, int count, ref TJob job, ComputeContext lane) where TJob : struct, IParallelJob
    {
        trace.BeginJob(typeof(TJob), count, 1);
        for (int i = 0; i < count; i++)
        {
            trace.Record(i, 0);
            job.Run(i, lane);
        }
    }

    /// <summary>
    /// Starts one call of a repeated piece of work (an inference pass) whose jobs <paramref name="choice"/> decides to
    /// share with the workers or to run on the caller alone, split as usual either way (see <see cref="ParallelChoice"/>).
    /// <see cref="ChosenCall.Complete"/> gives the choice the call's time; disposing the call ends it. Null: a plain call.
    /// </summary>
    internal ChosenCall Begin(ParallelChoice? choice)
    {
        if (choice is null || _pool is null) return default;
        _inline = choice.NextInline();
        return new ChosenCall(this, choice, Stopwatch.GetTimestamp());
    }

    /// <summary>A call started by <see cref="Begin"/>.</summary>
    internal readonly struct ChosenCall(ComputeContext? context, ParallelChoice? choice, long start) : IDisposable
    {
        /// <summary>Gives the choice the time of the call, which completed (a failed call's time means nothing).</summary>
        public void Complete() => choice?.Record(Stopwatch.GetTimestamp() - start);

        /// <summary>Jobs started after this share their items again.</summary>
        public void Dispose()
        {
            if (context is not null) context._inline = false;
        }
    }

    /// <summary>Ends the worker threads (a forked context leaves them to its parent). Kernels still run afterwards, on the caller alone.</summary>
    public void Dispose()
    {
        if (_ownsPool) _pool!.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => $"ComputeContext({Threads} thread{(Threads == 1 ? "" : "s")})";
}
