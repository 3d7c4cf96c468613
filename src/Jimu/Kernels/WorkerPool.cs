using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Jimu.Kernels;

/// <summary>
/// The worker threads of a <see cref="ComputeContext"/> (and of the contexts forked from it). <see cref="TryRun"/>
/// publishes a job of numbered items; the caller and the workers claim items until none is left, and the call
/// returns when all are done. It allocates nothing per call: the job is a struct on the caller's stack, reached
/// through a pointer and a function pointer instantiated for its type. The caller never waits for a worker that has
/// not started (on a busy machine a sleeping worker may take milliseconds to be scheduled): it simply runs the
/// items itself. Workers spin briefly after a job, since kernels come in quick succession, then sleep on a
/// semaphore; <see cref="Dispose"/> ends them. One job runs at a time; a call made while the pool is busy (from
/// another context that shares it, or from inside an item) gets false and runs its items on its own thread.
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

    // The job: (generation << 48) | (item count << 32) | next unclaimed item, changed only by Interlocked, so a
    // worker claims an item of the job that is current (a late worker cannot claim from a finished job).
    private long _state;
    private delegate*<void*, int, ComputeContext, void> _run;
    private void* _job;
    private int _completed;
    private Exception? _error;
    private int _started, _sleeping, _busy, _callerWaiting;
    private volatile bool _disposed;
    private int _live;

    /// <summary>Worker threads started and not yet ended (for tests).</summary>
    internal int LiveWorkers => Volatile.Read(ref _live);

    /// <summary>A pool of <paramref name="workers"/> threads, started on first use.</summary>
    public WorkerPool(int workers)
    {
        _threads = new Thread[workers];
        _lanes = new ComputeContext[workers];
        for (int i = 0; i < workers; i++) _lanes[i] = ComputeContext.Lane();
    }

    /// <summary>
    /// Runs <paramref name="job"/>.Run(0..count−1) on the calling thread (with <paramref name="callerLane"/>) and
    /// up to <paramref name="threads"/> − 1 workers. Returns false, having run nothing, when the pool is in use or
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
            StartWorkers(Math.Min(threads - 1, _threads.Length));
            _run = &Invoke<TJob>;
            _job = Unsafe.AsPointer(ref job);
            _error = null;
            Volatile.Write(ref _completed, 0);
            long generation = ((Volatile.Read(ref _state) >>> 48) + 1) & 0xFFFF;
            Interlocked.Exchange(ref _state, (generation << 48) | ((long)count << 32));
            int sleeping = Volatile.Read(ref _sleeping);
            if (sleeping > 0) _wake.Release(sleeping);

            RunItems(callerLane);
            WaitForItems(count);
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

    /// <summary>Waits for items that workers are still running: spins briefly, then sleeps, so that on an oversubscribed machine the worker gets the core.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WaitForItems(int count)
    {
        long start = Stopwatch.GetTimestamp();
        while (Volatile.Read(ref _completed) < count)
        {
            if (Stopwatch.GetTimestamp() - start < WaitSpinTicks) { Thread.SpinWait(20); continue; }
            Interlocked.Exchange(ref _callerWaiting, 1);
            while (Volatile.Read(ref _completed) < count) _done.WaitOne();
            Interlocked.Exchange(ref _callerWaiting, 0);
        }
    }

    /// <summary>Claims and runs items of the current job until none is left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunItems(ComputeContext lane)
    {
        while (true)
        {
            long s = Volatile.Read(ref _state);
            int next = (int)(s & 0xFFFFFFFF), count = (int)((s >> 32) & 0xFFFF);
            if (next >= count) return;
            if (Interlocked.CompareExchange(ref _state, s + 1, s) != s) continue;
            try { _run(_job, next, lane); }
            catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
            if (Interlocked.Increment(ref _completed) == count && Volatile.Read(ref _callerWaiting) != 0)
                _done.Release();
        }
    }

    private bool HasWork()
    {
        long s = Volatile.Read(ref _state);
        return (int)(s & 0xFFFFFFFF) < (int)((s >> 32) & 0xFFFF);
    }

    private void StartWorkers(int count)
    {
        for (; _started < count; _started++)
        {
            int index = _started;
            Interlocked.Increment(ref _live);
            (_threads[index] = new Thread(() => Loop(_lanes[index])) { IsBackground = true, Name = $"Jimu worker {index + 1}" }).Start();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Loop(ComputeContext lane)
    {
        while (!_disposed)
        {
            // Spin for a while, then sleep until a job is published (or the pool is disposed).
            long start = Stopwatch.GetTimestamp();
            for (int i = 1; !HasWork() && !_disposed && Stopwatch.GetTimestamp() - start < SpinTicks; i++)
            {
                if (i % 16 == 0) Thread.Yield(); // let a thread waiting for this core (such as the caller) run
                else Thread.SpinWait(20);
            }
            if (!HasWork())
            {
                Interlocked.Increment(ref _sleeping);
                while (!HasWork() && !_disposed) _wake.WaitOne();
                Interlocked.Decrement(ref _sleeping);
            }
            RunItems(lane);
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
