using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Jimu.Kernels;

/// <summary>A piece of work split into numbered parts that may run on different threads.</summary>
internal interface IParallelWork
{
    /// <summary>Runs part <paramref name="part"/> of <c>parts</c>; parts must be independent.</summary>
    void Execute(int part);
}

/// <summary>
/// A small pool of long-lived worker threads for kernels: <see cref="TryRun"/> runs parts 1..parts−1 of a job on
/// the workers and part 0 on the caller, and returns when all are done. Unlike Parallel.For it allocates nothing per
/// call: each worker has its own slot (job, part, ticket), written by the caller only while that worker is idle.
/// Workers spin briefly after a job, since kernels tend to come in quick succession, then sleep on a monitor.
/// One job runs at a time; a call made while the pool is busy (another thread, or from inside a part) gets false
/// and should run its work serially.
/// </summary>
internal static class KernelThreads
{
    private sealed class Worker
    {
        public readonly object Gate = new();
        public IParallelWork? Work;
        public int Part;
        public int Ticket;   // incremented by the caller to hand over a job
        public int Done;     // set to Ticket by the worker when its part is finished
        public Exception? Error;
    }

    private static readonly long SpinTicks = Stopwatch.Frequency / 5000; // ~200 µs
    private static Worker[] _workers = [];
    private static int _busy;
    [ThreadStatic] private static bool _isWorker;

    /// <summary>Whether the calling thread is one of the pool's workers.</summary>
    public static bool IsWorkerThread => _isWorker;

    /// <summary>
    /// Runs <paramref name="work"/>.Execute(0..parts−1) in parallel, part 0 on the calling thread.
    /// Returns false, having run nothing, when the pool is already in use.
    /// </summary>
    public static bool TryRun(IParallelWork work, int parts)
    {
        if (parts <= 1 || _isWorker) return false;
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) return false;
        try
        {
            EnsureWorkers(parts - 1);
            var workers = _workers;
            for (int w = 0; w < parts - 1; w++)
            {
                var worker = workers[w];
                worker.Work = work;
                worker.Part = w + 1;
                Volatile.Write(ref worker.Ticket, worker.Ticket + 1);
                lock (worker.Gate) Monitor.Pulse(worker.Gate);
            }
            Exception? error = null;
            try { work.Execute(0); }
            catch (Exception e) { error = e; }
            for (int w = 0; w < parts - 1; w++)
            {
                var worker = workers[w];
                var spin = new SpinWait();
                while (Volatile.Read(ref worker.Done) != worker.Ticket) spin.SpinOnce(sleep1Threshold: -1);
                worker.Work = null;
                if (worker.Error is { } e) { error ??= e; worker.Error = null; }
            }
            if (error is not null) ExceptionDispatchInfo.Throw(error);
            return true;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private static void EnsureWorkers(int count)
    {
        if (_workers.Length >= count) return;
        var grown = new Worker[count];
        Array.Copy(_workers, grown, _workers.Length);
        for (int w = _workers.Length; w < count; w++)
        {
            var worker = grown[w] = new Worker();
            var thread = new Thread(() => Loop(worker)) { IsBackground = true, Name = $"Jimu kernel {w + 1}" };
            thread.Start();
        }
        _workers = grown;
    }

    private static void Loop(Worker worker)
    {
        _isWorker = true;
        int seen = 0;
        while (true)
        {
            // Spin for a while, then sleep until the caller pulses.
            long start = Stopwatch.GetTimestamp();
            while (Volatile.Read(ref worker.Ticket) == seen && Stopwatch.GetTimestamp() - start < SpinTicks)
                Thread.SpinWait(20);
            if (Volatile.Read(ref worker.Ticket) == seen)
                lock (worker.Gate)
                    while (Volatile.Read(ref worker.Ticket) == seen) Monitor.Wait(worker.Gate);
            seen = Volatile.Read(ref worker.Ticket);
            try { worker.Work!.Execute(worker.Part); }
            catch (Exception e) { worker.Error = e; }
            Volatile.Write(ref worker.Done, seen);
        }
    }
}
