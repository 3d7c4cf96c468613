using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Jimu.Kernels;

/// <summary>A piece of work split into numbered chunks that may run on different threads.</summary>
internal interface IParallelWork
{
    /// <summary>Runs chunk <paramref name="chunk"/>; chunks must be independent.</summary>
    void Execute(int chunk);
}

/// <summary>
/// A small pool of long-lived worker threads for kernels. <see cref="TryRun"/> publishes a job of numbered chunks;
/// the caller and the workers claim chunks until none is left, and the call returns when all are done. Unlike
/// Parallel.For it allocates nothing per call. The caller never waits for a worker that has not started (on a busy
/// machine a sleeping worker may take milliseconds to be scheduled): it then simply runs the chunks itself.
/// Workers spin briefly after a job, since kernels tend to come in quick succession, then sleep on a monitor.
/// One job runs at a time; a call made while the pool is busy (another thread, or from inside a chunk) gets false
/// and should run its work serially.
/// </summary>
internal static class KernelThreads
{
    private static readonly long SpinTicks = Stopwatch.Frequency / 10000; // ~100 µs
    private static readonly long WaitSpinTicks = Stopwatch.Frequency / 20000; // ~50 µs
    // Kernel semaphores rather than Monitor.Wait, which allocates managed memory on every wait: a sleeping worker
    // waits on _wake, a caller waiting for the last chunks on _done. Spare permits only cause a spurious wake-up,
    // after which the loops check again.
    private static readonly Semaphore _wake = new(0, int.MaxValue), _done = new(0, int.MaxValue);

    // The job: (generation << 48) | (chunk count << 32) | next unclaimed chunk, changed only by Interlocked, so a
    // worker that claims a chunk claims it of the job that is current (a late worker cannot claim from a finished job).
    private static long _state;
    private static IParallelWork? _work;
    private static int _completed;
    private static Exception? _error;
    private static int _workers, _sleeping, _busy, _callerWaiting;
    [ThreadStatic] private static bool _isWorker;

    /// <summary>Whether the calling thread is one of the pool's workers.</summary>
    public static bool IsWorkerThread => _isWorker;

    /// <summary>The largest number of chunks of one job.</summary>
    public const int MaxChunks = 0xFFFF;

    /// <summary>
    /// Runs <paramref name="work"/>.Execute(0..chunks−1) on the calling thread and up to
    /// <paramref name="threads"/> − 1 workers. Returns false, having run nothing, when the pool is already in use.
    /// </summary>
    public static bool TryRun(IParallelWork work, int chunks, int threads)
    {
        if (chunks <= 1 || threads <= 1 || _isWorker) return false;
        if (chunks > MaxChunks) throw new ArgumentOutOfRangeException(nameof(chunks));
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) return false;
        try
        {
            EnsureWorkers(threads - 1);
            _work = work;
            _error = null;
            Volatile.Write(ref _completed, 0);
            long generation = ((Volatile.Read(ref _state) >>> 48) + 1) & 0xFFFF;
            Interlocked.Exchange(ref _state, (generation << 48) | ((long)chunks << 32));
            int sleeping = Volatile.Read(ref _sleeping);
            if (sleeping > 0) _wake.Release(sleeping);

            RunChunks();
            WaitForChunks(chunks);
            _work = null;
            if (_error is { } e) ExceptionDispatchInfo.Throw(e);
            return true;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>
    /// Waits for chunks that workers are still running: spins briefly, then sleeps, so that on an oversubscribed
    /// machine the worker gets the core instead of the caller spinning on it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WaitForChunks(int chunks)
    {
        long start = Stopwatch.GetTimestamp();
        while (Volatile.Read(ref _completed) < chunks)
        {
            if (Stopwatch.GetTimestamp() - start < WaitSpinTicks) { Thread.SpinWait(20); continue; }
            Interlocked.Exchange(ref _callerWaiting, 1);
            while (Volatile.Read(ref _completed) < chunks) _done.WaitOne();
            Interlocked.Exchange(ref _callerWaiting, 0);
        }
    }

    /// <summary>Claims and runs chunks of the current job until none is left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunChunks()
    {
        while (true)
        {
            long s = Volatile.Read(ref _state);
            int next = (int)(s & 0xFFFFFFFF), count = (int)((s >> 32) & 0xFFFF);
            if (next >= count) return;
            if (Interlocked.CompareExchange(ref _state, s + 1, s) != s) continue;
            try { _work!.Execute(next); }
            catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
            if (Interlocked.Increment(ref _completed) == count && Volatile.Read(ref _callerWaiting) != 0)
                _done.Release();
        }
    }

    private static bool HasWork()
    {
        long s = Volatile.Read(ref _state);
        return (int)(s & 0xFFFFFFFF) < (int)((s >> 32) & 0xFFFF);
    }

    private static void EnsureWorkers(int count)
    {
        for (; _workers < count; _workers++)
            new Thread(Loop) { IsBackground = true, Name = $"Jimu kernel {_workers + 1}" }.Start();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Loop()
    {
        _isWorker = true;
        while (true)
        {
            // Spin for a while, then sleep until a job is published.
            long start = Stopwatch.GetTimestamp();
            for (int i = 1; !HasWork() && Stopwatch.GetTimestamp() - start < SpinTicks; i++)
            {
                if (i % 16 == 0) Thread.Yield(); // let a thread waiting for this core (such as the caller) run
                else Thread.SpinWait(20);
            }
            if (!HasWork())
            {
                Interlocked.Increment(ref _sleeping);
                while (!HasWork()) _wake.WaitOne();
                Interlocked.Decrement(ref _sleeping);
            }
            RunChunks();
        }
    }
}
