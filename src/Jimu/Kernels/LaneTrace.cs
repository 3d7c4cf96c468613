namespace Jimu.Kernels;

/// <summary>
/// Test hook of <see cref="WorkerPool"/> and <see cref="ComputeContext.For{TJob}"/>: which lane ran which item of
/// each job (its struct type, item count and lanes). Shows without timing that an image range stays on one lane from
/// layer to layer. Fixed capacity; entries past it are dropped (<see cref="Overflowed"/>). Never set in normal runs.
/// </summary>
internal sealed class LaneTrace(int capacity)
{
    /// <summary>One job: its struct type, items, lanes, and where its items start in <see cref="Items"/>.</summary>
    public readonly record struct Job(Type Kind, int Count, int Lanes, int First);

    /// <summary>One item run: the job's index in <see cref="Jobs"/>, the item, the lane that ran it.</summary>
    public readonly record struct Item(int Job, int Index, int Lane);

    private readonly Job[] _jobs = new Job[capacity];
    private readonly Item[] _items = new Item[capacity];
    private int _jobCount = 0, _itemCount = 0;

    /// <summary>Whether more jobs or items came than the capacity holds.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>The jobs recorded, in order.</summary>
    public ReadOnlySpan<Job> Jobs => _jobs.AsSpan(0, Math.Min(_jobCount, _jobs.Length));

    /// <summary>The items recorded (items of one job in the order they were claimed).</summary>
    public ReadOnlySpan<Item> Items => _items.AsSpan(0, Math.Min(Volatile.Read(ref _itemCount), _items.Length));

    /// <summary>The lane that ran item <paramref name="index"/> of job <paramref name="job"/>, or −1 if none is recorded.</summary>
    public int LaneOf(int job, int index)
    {
        foreach (var item in Items)
            if (item.Job == job && item.Index == index) return item.Lane;
        return -1;
    }

    /// <summary>Starts a job (on the caller, before any of its items run).</summary>
    public void BeginJob(Type kind, int count, int lanes)
    {
        if (_jobCount >= _jobs.Length) { Overflowed = true; _jobCount++; return; }
        _jobs[_jobCount++] = new Job(kind, count, lanes, Volatile.Read(ref _itemCount));
    }

    /// <summary>Records that <paramref name="lane"/> claimed item <paramref name="index"/> of the current job (any thread).</summary>
    public void Record(int index, int lane)
    {
        int slot = Interlocked.Increment(ref _itemCount) - 1;
        if (slot < _items.Length) _items[slot] = new Item(_jobCount - 1, index, lane);
        else Overflowed = true;
    }
}
