using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Jimu.Kernels;

/// <summary>
/// The worker threads of a <see cref="ComputeContext"/> (and of the contexts forked from it). <see cref="TryRun"/>
/// publishes a job of numbered items; the call returns when all are done. It allocates nothing per call: the job is
/// a struct on the caller's stack, reached through a pointer and a function pointer instantiated for its type.
/// <para>
/// Items have homes: of a job of n items on T lanes (the caller is lane 0, worker w is lane w + 1), lane l owns items
/// [l·n/T, (l+1)·n/T). A lane runs its own items first, in order, claimed from a counter on its own cache line, and
/// only then steals what is left of the other lanes' ranges, from their ends. So when every lane is running, item p
/// of a job split like <see cref="BatchSplit"/> runs on the same core in every layer (image range p stays in that
/// core's caches), and nothing is handed between the cores but one line per lane per job. Each lane counts the items
/// it ran and publishes the count once, on its own line. The caller never waits for a worker that has not started
/// (on a busy machine a sleeping worker may take milliseconds to be scheduled): it steals that worker's items.
/// Items must not depend on which lane runs them, so the results do not either.
/// </para>
/// Workers spin briefly after a job, since kernels come in quick succession, then sleep on a semaphore;
/// <see cref="Dispose"/> ends them. One job runs at a time; a call made while the pool is busy (from another context
/// that shares it, or from inside an item) gets false and runs its items on its own thread.
/// </summary>
internal sealed unsafe class WorkerPool : IDisposable
{
    private static readonly long SpinTicks = Stopwatch.Frequency / 10000; // ~100 µs
    private static readonly long WaitSpinTicks = Stopwatch.Frequency / 20000; // ~50 µs

    /// <summary>The largest number of items of one job.</summary>
    public const int MaxItems = 0xFFFF;

    // Kernel semaphores rather than Monitor.Wait, which allocates managed memory on every wait: a sleeping worker
    // waits on _wake, a caller waiting for the last items on _done. Spare permits only cause a spurious wake-up.
    private readonly Semaphore _wake = new(0, int.MaxValue), _done = new(0, int.MaxValue);
    private readonly Thread[] _threads;
    private readonly ComputeContext[] _lanes;

    /// <summary>
    /// One lane's line, 128 bytes apart so that no two lanes (nor the adjacent-line prefetcher) share one.
    /// Claim: (generation &lt;&lt; 32) | (next &lt;&lt; 16) | end, the lane's unclaimed items [next, end) of the current job,
    /// changed only by Interlocked (the owner takes next, thieves take end − 1). Done: (generation &lt;&lt; 32) | items
    /// this lane ran of that job, written by the lane alone.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct Slot
    {
        [FieldOffset(0)] public long Claim;
        [FieldOffset(8)] public long Done;
    }

    private readonly Slot[] _slots;

    // The job, published by one write of _state = (generation << 32) | lanes after its slots are set; generations
    // make a late worker's claims on a finished job fail.
    private long _state;
    private delegate*<void*, int, ComputeContext, void> _run;
    private void* _job;
    private Exception? _error;
    private int _started, _sleeping, _busy, _callerWaiting;
    private volatile bool _disposed;
    private int _live;

    /// <summary>Worker threads started and not yet ended (for tests).</summary>
    internal int LiveWorkers => Volatile.Read(ref _live);

    /// <summary>Items of parallel jobs run so far, and of them those run by another lane than their home (stolen).</summary>
    internal (long Items, long Stolen) Counts => (Volatile.Read(ref _items), Volatile.Read(ref _stolen));

    private long _items, _stolen;

    /// <summary>Test hook: lanes run only their own items, never steal (so a test sees the home mapping whatever the timing).</summary>
    internal bool NoStealing { get; set; }

    /// <summary>Test hook: records the lane of every item run (see <see cref="LaneTrace"/>); null, the normal case, records nothing.</summary>
    internal LaneTrace? Trace { get; set; }

    /// <summary>A pool of <paramref name="workers"/> threads, started on first use.</summary>
    public WorkerPool(int workers)
    {
        _threads = new Thread[workers];
        _lanes = new ComputeContext[workers];
        _slots = new Slot[workers + 1];
        for (int i = 0; i < workers; i++) _lanes[i] = ComputeContext.Lane();
    }

    /// <summary>
    /// Runs <paramref name="job"/>.Run(0..count−1) on the calling thread (lane 0, with <paramref name="callerLane"/>)
    /// and up to <paramref name="threads"/> − 1 workers. Returns false, having run nothing, when the pool is in use or
    /// disposed. <paramref name="job"/> must be a local of the caller (it is reached through its address).
    /// </summary>
    public bool TryRun<TJob>(ref TJob job, int count, int threads, ComputeContext callerLane) where TJob : struct, IParallelJob
    {
        if (count <= 1 || threads <= 1 || _disposed) return false;
        if (count > MaxItems) throw new ArgumentOutOfRangeException(nameof(count), $"At most {MaxItems} items per job, got {count}.");
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) return false;
        if (_disposed) return false; // disposed while we waited: Dispose holds _busy for good
        try
        {
            int lanes = Math.Min(Math.Min(threads, count), _threads.Length + 1);
            StartWorkers(lanes - 1);
            _run = &Invoke<TJob>;
            _job = Unsafe.AsPointer(ref job);
            _error = null;
            Trace?.BeginJob(typeof(TJob), count, lanes); // before any lane can claim an item
            long generation = (Volatile.Read(ref _state) >>> 32) % uint.MaxValue + 1; // 1 … 2³² − 1: a new worker has seen 0
            for (int l = 0; l < lanes; l++)
            {
                long from = (long)count * l / lanes, to = (long)count * (l + 1) / lanes;
                Interlocked.Exchange(ref _slots[l].Claim, (generation << 32) | (from << 16) | to);
            }
            Interlocked.Exchange(ref _state, (generation << 32) | (uint)lanes);
            int sleeping = Volatile.Read(ref _sleeping);
            if (sleeping > 0) _wake.Release(sleeping);

            _items += count; // only the caller writes it, one job at a time
            int ran = RunItems(0, callerLane, generation, lanes);
            WaitForItems(generation, lanes, count - ran);
            _job = null;
            if (_error is { } e) ExceptionDispatchInfo.Throw(e);
            return true;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private static void Invoke<TJob>(void* job, int index, ComputeContext lane) where TJob : struct, IParallelJob =>
        Unsafe.AsRef<TJob>(job).Run(index, lane);

    /// <summary>Items of job <paramref name="generation"/> that the workers ran.</summary>
    private int WorkerItems(long generation, int lanes)
    {
        int sum = 0;
        for (int l = 1; l < lanes; l++)
        {
            long d = Volatile.Read(ref _slots[l].Done);
            if (d >>> 32 == generation) sum += (int)d;
        }
        return sum;
    }

    /// <summary>Waits for items that workers are still running: spins briefly, then sleeps, so that on an oversubscribed machine the worker gets the core.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WaitForItems(long generation, int lanes, int items)
    {
        if (items == 0) return;
        long start = Stopwatch.GetTimestamp();
        while (WorkerItems(generation, lanes) < items)
        {
            if (Stopwatch.GetTimestamp() - start < WaitSpinTicks) { Thread.SpinWait(20); continue; }
            Interlocked.Exchange(ref _callerWaiting, 1);
            while (WorkerItems(generation, lanes) < items) _done.WaitOne();
            Interlocked.Exchange(ref _callerWaiting, 0);
        }
    }

    /// <summary>
    /// Runs lane <paramref name="lane"/>'s own unclaimed items of job <paramref name="generation"/>, then steals the
    /// others' until none is left; returns how many it ran.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int RunItems(int lane, ComputeContext context, long generation, int lanes)
    {
        int ran = 0;
        bool steal = !NoStealing;
        for (int k = 0; k < lanes; k++)
        {
            int victim = lane + k < lanes ? lane + k : lane + k - lanes;
            ref long claim = ref _slots[victim].Claim;
            while (true)
            {
                long c = Volatile.Read(ref claim);
                int next = (int)(c >> 16) & 0xFFFF, end = (int)c & 0xFFFF;
                if (c >>> 32 != generation || next >= end) break;
                // The owner takes its next item, a thief the victim's last.
                int item = k == 0 ? next : end - 1;
                long taken = k == 0 ? c + (1L << 16) : c - 1;
                if (Interlocked.CompareExchange(ref claim, taken, c) != c) continue;
                Trace?.Record(item, lane);
                if (k != 0) Interlocked.Increment(ref _stolen); // rare: a lane late or slowed
                try { _run(_job, item, context); }
                catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
                ran++;
            }
            if (!steal) break;
        }
        return ran;
    }

    private bool HasWork(long seen) => Volatile.Read(ref _state) >>> 32 != seen >>> 32;

    private void StartWorkers(int count)
    {
        for (; _started < count; _started++)
        {
            int index = _started;
            Interlocked.Increment(ref _live);
            (_threads[index] = new Thread(() => Loop(index + 1)) { IsBackground = true, Name = $"Jimu worker {index + 1}" }).Start();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Loop(int lane)
    {
        long seen = 0; // generation 0 is never published: a worker started for a job runs it
        while (!_disposed)
        {
            // Spin for a while, then sleep until a job is published (or the pool is disposed).
            long start = Stopwatch.GetTimestamp();
            for (int i = 1; !HasWork(seen) && !_disposed && Stopwatch.GetTimestamp() - start < SpinTicks; i++)
            {
                if (i % 16 == 0) Thread.Yield(); // let a thread waiting for this core (such as the caller) run
                else Thread.SpinWait(20);
            }
            if (!HasWork(seen))
            {
                Interlocked.Increment(ref _sleeping);
                while (!HasWork(seen) && !_disposed) _wake.WaitOne();
                Interlocked.Decrement(ref _sleeping);
            }
            seen = Volatile.Read(ref _state);
            long generation = seen >>> 32;
            int lanes = (int)seen;
            if (lane >= lanes) continue; // a job for fewer lanes than there are workers
            int ran = RunItems(lane, _lanes[lane - 1], generation, lanes);
            ref long done = ref _slots[lane].Done;
            long d = Volatile.Read(ref done);
            // Published once per job (after the items' writes), then a full fence before reading _callerWaiting.
            Interlocked.Exchange(ref done, d >>> 32 == generation ? d + ran : (generation << 32) | (uint)ran);
            if (ran > 0 && Volatile.Read(ref _callerWaiting) != 0) _done.Release();
        }
        Interlocked.Decrement(ref _live);
    }

    /// <summary>Ends the workers (after the job in progress, if any); later jobs run on their callers.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        // Wait for the job in progress, then keep the pool busy for good: no job can start after this.
        while (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) Thread.Sleep(0);
        _disposed = true;
        if (_started > 0) _wake.Release(_started);
        for (int i = 0; i < _started; i++) _threads[i].Join();
        _wake.Dispose();
        _done.Dispose();
    }
}
