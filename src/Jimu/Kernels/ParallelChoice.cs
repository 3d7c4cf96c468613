namespace Jimu.Kernels;

/// <summary>
/// For a call repeated many times (one inference forward pass of a given batch size): whether its jobs are shared
/// with the worker threads or run on the caller alone, chosen by timing both, back to back, now and then.
/// </summary>
/// <remarks>
/// Sharing a short call is not always faster. One image of vgg3 takes 0.13 ms on two threads and 0.18 ms on one
/// when the machine's two cores share a cache; when they do not (a virtual machine whose two vCPUs the host
/// places apart, or a core that another process takes), every layer's output that the other thread made is fetched
/// from the far core, and two threads take 0.28 ms. The state can change at any moment, so the choice is re-checked:
/// a probe runs <see cref="Sample"/> calls in the mode in use, then as many in the other, and keeps the mode whose
/// fastest call was faster (the other must win by <see cref="Margin"/>). Probes come every
/// <see cref="MinInterval"/> calls, then twice as far apart each time the mode in use wins, up to
/// <see cref="MaxInterval"/>; <see cref="Sample"/> calls in a row slower than <see cref="Drift"/> × the mode's
/// last fastest call start one early. A call whose fastest shared run takes longer than the limit given to the
/// constructor is never probed (running it on one thread would cost more than any gain; it is still timed, in
/// case it becomes short). Both modes split the work alike, so the choice changes no result, only the time.
/// Not thread-safe: one per caller, as a <see cref="ComputeContext"/>.
/// </remarks>
internal sealed class ParallelChoice
{
    /// <summary>Calls timed in each mode by a probe.</summary>
    public const int Sample = 4;

    /// <summary>Calls between probes after a change of mode (the shortest interval).</summary>
    public const int MinInterval = 16;

    /// <summary>The longest interval between probes, in calls.</summary>
    public const int MaxInterval = 1024;

    /// <summary>How much faster (fraction of the time) the other mode must be to be taken.</summary>
    public const double Margin = 0.05;

    /// <summary>A call this many times slower than the mode's last fastest one counts toward an early probe.</summary>
    public const double Drift = 1.3;

    /// <summary>The default limit: calls whose shared run takes over 1 ms are not probed.</summary>
    public static readonly long DefaultMaxProbeTicks = System.Diagnostics.Stopwatch.Frequency / 1000;

    private readonly long _maxProbeTicks;
    private Phase _phase = Phase.Current;
    private int _left = Sample, _interval = MinInterval, _slowInARow, _sinceProbe;
    private long _bestCurrent = long.MaxValue, _bestOther = long.MaxValue, _reference = long.MaxValue;

    private enum Phase
    {
        /// <summary>Running the mode in use; <see cref="_left"/> calls until the next probe.</summary>
        Settled,
        /// <summary>A probe timing the mode in use (<see cref="_left"/> calls left).</summary>
        Current,
        /// <summary>A probe timing the other mode (<see cref="_left"/> calls left).</summary>
        Other,
    }

    /// <summary>A choice that starts by sharing and probes only calls whose shared run is under <paramref name="maxProbeTicks"/>.</summary>
    public ParallelChoice(long maxProbeTicks)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxProbeTicks);
        _maxProbeTicks = maxProbeTicks;
    }

    /// <summary>The mode in use (between probes): true when calls run on the caller alone.</summary>
    public bool Inline { get; private set; }

    /// <summary>Probes that ended with a change of mode (for tests and diagnostics).</summary>
    public int Switches { get; private set; }

    /// <summary>Probes completed (for tests and diagnostics).</summary>
    public int Probes { get; private set; }

    /// <summary>Calls recorded, and of them those that ran on the caller alone (for diagnostics: <c>jimu bench model</c> reports them).</summary>
    public long Calls { get; private set; }

    /// <inheritdoc cref="Calls"/>
    public long InlineCalls { get; private set; }

    /// <summary>Calls from the end of the last probe to the next one (for tests).</summary>
    internal int Interval => _interval;

    /// <summary>Whether the next call runs on the caller alone (true) or shares its jobs with the workers.</summary>
    public bool NextInline() => _phase == Phase.Other ? !Inline : Inline;

    /// <summary>Records how long the call started after <see cref="NextInline"/> took, in <see cref="System.Diagnostics.Stopwatch"/> ticks.</summary>
    public void Record(long ticks)
    {
        Calls++;
        if (NextInline()) InlineCalls++;
        switch (_phase)
        {
            case Phase.Settled:
                _slowInARow = ticks > _reference * Drift ? _slowInARow + 1 : 0;
                _sinceProbe++;
                if (--_left <= 0 || (_slowInARow >= Sample && _sinceProbe >= MinInterval)) StartProbe();
                break;
            case Phase.Current:
                _bestCurrent = Math.Min(_bestCurrent, ticks);
                if (--_left > 0) break;
                // Sharing takes long enough that a probe on one thread would cost more than it could save.
                if (!Inline && _bestCurrent > _maxProbeTicks) { Settle(_interval, _bestCurrent); break; }
                _phase = Phase.Other;
                _left = Sample;
                break;
            case Phase.Other:
                _bestOther = Math.Min(_bestOther, ticks);
                if (--_left > 0) break;
                Probes++;
                if (_bestOther < _bestCurrent * (1 - Margin))
                {
                    Inline = !Inline;
                    Switches++;
                    Settle(MinInterval, _bestOther);
                }
                else Settle(Math.Min(_interval * 2, MaxInterval), _bestCurrent);
                break;
        }
    }

    private void StartProbe()
    {
        _phase = Phase.Current;
        _left = Sample;
        _bestCurrent = _bestOther = long.MaxValue;
    }

    private void Settle(int interval, long reference)
    {
        _phase = Phase.Settled;
        _interval = interval;
        _left = interval;
        _reference = reference;
        _slowInARow = _sinceProbe = 0;
    }
}
