using Jimu.Kernels;

namespace Jimu.Tests.Kernels;

/// <summary>The sharing choice fed made-up call times: every decision is a function of the times, so no clock is read.</summary>
public class ParallelChoiceTests
{
    private const long Limit = 1_000_000;

    /// <summary>Runs <paramref name="calls"/> calls that take <paramref name="shared"/> ticks shared and <paramref name="inline"/> on the caller; returns how many ran inline.</summary>
    private static int Run(ParallelChoice choice, int calls, long shared, long inline)
    {
        int inlineCalls = 0;
        for (int i = 0; i < calls; i++)
        {
            bool isInline = choice.NextInline();
            if (isInline) inlineCalls++;
            choice.Record(isInline ? inline : shared);
        }
        return inlineCalls;
    }

    /// <summary>Runs calls until a probe has just ended, so a test starts at a known place in the schedule.</summary>
    private static void UntilProbeEnds(ParallelChoice choice, long shared, long inline)
    {
        int probes = choice.Probes;
        while (choice.Probes == probes) Run(choice, 1, shared, inline);
    }

    [Fact]
    public void It_starts_by_sharing_and_takes_the_caller_alone_when_that_is_faster()
    {
        var choice = new ParallelChoice(Limit);
        Assert.False(choice.Inline);
        for (int i = 0; i < ParallelChoice.Sample; i++)
        {
            Assert.False(choice.NextInline()); // the first probe times the mode in use...
            choice.Record(280);
        }
        for (int i = 0; i < ParallelChoice.Sample; i++)
        {
            Assert.True(choice.NextInline()); // ...then the other
            choice.Record(180);
        }
        Assert.True(choice.Inline);
        Assert.Equal(1, choice.Switches);
        Assert.Equal(ParallelChoice.MinInterval, choice.Interval);
        // Settled: every call inline until the next probe.
        Assert.Equal(ParallelChoice.MinInterval, Run(choice, ParallelChoice.MinInterval, 280, 180));
    }

    [Fact]
    public void Sharing_that_stays_faster_is_kept_and_probed_ever_more_rarely()
    {
        var choice = new ParallelChoice(Limit);
        int inline = Run(choice, 20_000, shared: 127, inline: 181);
        Assert.False(choice.Inline);
        Assert.Equal(0, choice.Switches);
        Assert.Equal(ParallelChoice.MaxInterval, choice.Interval);
        // Probes at 16, 32, …, 1024 calls apart: a few hundred inline calls in 20,000, under 2 %.
        Assert.Equal(choice.Probes * ParallelChoice.Sample, inline);
        Assert.InRange(inline, 1, 20_000 / 50);
    }

    [Fact]
    public void A_mode_within_the_margin_does_not_cause_a_switch()
    {
        var choice = new ParallelChoice(Limit);
        Run(choice, 5_000, shared: 100, inline: (long)(100 * (1 - ParallelChoice.Margin)) + 1);
        Assert.False(choice.Inline);
        Assert.Equal(0, choice.Switches);
    }

    [Fact]
    public void Long_calls_are_never_run_on_the_caller_alone()
    {
        var choice = new ParallelChoice(Limit);
        Assert.Equal(0, Run(choice, 10_000, shared: Limit + 1, inline: 1));
        Assert.False(choice.Inline);
        Assert.Equal(0, choice.Probes);
    }

    [Fact]
    public void Calls_that_become_short_are_probed_again()
    {
        var choice = new ParallelChoice(Limit);
        Run(choice, 100, shared: 3 * Limit, inline: 1);
        Assert.Equal(0, choice.Probes);
        Run(choice, 100, shared: 300, inline: 200);
        Assert.True(choice.Inline);
    }

    [Fact]
    public void Sharing_that_slows_down_is_probed_at_once_not_at_the_end_of_the_interval()
    {
        var choice = new ParallelChoice(Limit);
        Run(choice, 5_000, shared: 127, inline: 181); // settled on sharing, probes 1024 calls apart
        UntilProbeEnds(choice, 127, 181);
        Assert.Equal(ParallelChoice.MaxInterval, choice.Interval);
        // The machine changes state: sharing now takes 280. Within a probe's worth of calls the choice moves.
        int calls = 0;
        while (!choice.Inline && calls < 100) { Run(choice, 1, shared: 280, inline: 181); calls++; }
        Assert.True(choice.Inline);
        Assert.InRange(calls, ParallelChoice.Sample, ParallelChoice.MinInterval + 2 * ParallelChoice.Sample);
    }

    [Fact]
    public void It_goes_back_to_sharing_when_sharing_is_faster_again()
    {
        var choice = new ParallelChoice(Limit);
        Run(choice, 3_000, shared: 280, inline: 181);
        Assert.True(choice.Inline);
        // Now sharing is fast again; the caller's own time has not changed, so only the periodic probe can see it.
        Run(choice, 2 * ParallelChoice.MaxInterval + 2 * ParallelChoice.Sample, shared: 127, inline: 181);
        Assert.False(choice.Inline);
        Assert.Equal(2, choice.Switches);
    }

    [Fact]
    public void One_slow_call_now_and_then_starts_no_early_probe()
    {
        var choice = new ParallelChoice(Limit);
        Run(choice, 5_000, shared: 127, inline: 181);
        UntilProbeEnds(choice, 127, 181);
        int probes = choice.Probes;
        // A preempted call every tenth call, for 900 calls: fewer than a full interval, so no probe.
        for (int i = 0; i < 900; i++) Run(choice, 1, shared: i % 10 == 0 ? 5_000 : 127, inline: 181);
        Assert.Equal(probes, choice.Probes);
    }

    [Fact]
    public void The_limit_must_be_positive() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ParallelChoice(0));
}
