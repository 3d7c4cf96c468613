using Jimu.Kernels;

namespace Jimu.Tests.Kernels;

public class ComputeContextTests
{
    /// <summary>Adds 1 to counts[i] and records the lane that ran item i.</summary>
    private readonly struct CountJob(int[] counts, ComputeContext?[] lanes) : IParallelJob
    {
        public void Run(int index, ComputeContext lane)
        {
            Interlocked.Increment(ref counts[index]);
            lanes[index] = lane;
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 7)]
    [InlineData(2, 1)]
    [InlineData(2, 100)]
    [InlineData(4, 3)]
    [InlineData(4, 1000)]
    public void For_runs_every_item_once_on_one_thread_lanes(int threads, int count)
    {
        using var ctx = new ComputeContext(threads);
        for (int repeat = 0; repeat < 20; repeat++)
        {
            var counts = new int[count];
            var lanes = new ComputeContext?[count];
            var job = new CountJob(counts, lanes);
            ctx.For(count, ref job);
            Assert.All(counts, c => Assert.Equal(1, c));
            Assert.All(lanes, l => Assert.Equal(1, l!.Threads));
            Assert.DoesNotContain(ctx, lanes); // items get a lane, never the caller's context and its scratch
        }
    }

    private readonly struct ThrowJob(int bad) : IParallelJob
    {
        public void Run(int index, ComputeContext lane)
        {
            if (index == bad) throw new InvalidOperationException($"item {index}");
        }
    }

    [Fact]
    public void An_exception_in_an_item_reaches_the_caller_and_the_context_still_works()
    {
        using var ctx = new ComputeContext(2);
        for (int bad = 0; bad < 8; bad++)
        {
            var job = new ThrowJob(bad);
            var e = Assert.Throws<InvalidOperationException>(() => ctx.For(8, ref job));
            Assert.Equal($"item {bad}", e.Message);
        }
        var counts = new int[50];
        var ok = new CountJob(counts, new ComputeContext?[50]);
        ctx.For(50, ref ok);
        Assert.All(counts, c => Assert.Equal(1, c));
    }

    [Fact]
    public void Dispose_ends_the_workers_and_later_jobs_run_on_the_caller()
    {
        var ctx = new ComputeContext(3);
        Assert.Equal(0, ctx.LiveWorkers); // started on first use
        var counts = new int[64];
        var job = new CountJob(counts, new ComputeContext?[64]);
        ctx.For(64, ref job);
        Assert.Equal(2, ctx.LiveWorkers);
        ctx.Dispose();
        Assert.Equal(0, ctx.LiveWorkers);
        ctx.For(64, ref job);
        Assert.All(counts, c => Assert.Equal(2, c));
        ctx.Dispose(); // twice is fine
    }

    [Fact]
    public void Forks_share_the_workers_and_run_concurrently_with_their_own_scratch()
    {
        using var ctx = new ComputeContext(2);
        var forks = Enumerable.Range(0, 8).Select(_ => ctx.Fork()).ToArray();
        Assert.All(forks, f => Assert.Equal(2, f.Threads));
        Assert.Equal(8, forks.Select(f => f.Workspace).Distinct().Count());
        Parallel.For(0, forks.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            for (int r = 0; r < 200; r++)
            {
                var counts = new int[33];
                var job = new CountJob(counts, new ComputeContext?[33]);
                forks[i].For(33, ref job);
                Assert.All(counts, c => Assert.Equal(1, c));
            }
        });
        foreach (var f in forks) f.Dispose(); // leaves the workers to ctx
        var again = new int[10];
        var last = new CountJob(again, new ComputeContext?[10]);
        ctx.For(10, ref last);
        Assert.All(again, c => Assert.Equal(1, c));
    }

    private readonly struct NestedJob(float[] sums) : IParallelJob
    {
        public void Run(int index, ComputeContext lane)
        {
            // A kernel inside an item gets the lane: one thread, that thread's scratch.
            var inner = new float[4];
            Gemm.Multiply(lane, 1, 4, 3, new float[] { 1, 2, 3 }, 3, false, Enumerable.Repeat((float)index, 12).ToArray(), 4, false, inner, 4);
            sums[index] = inner[0];
        }
    }

    [Fact]
    public void A_kernel_called_inside_an_item_runs_on_the_lane()
    {
        using var ctx = new ComputeContext(2);
        var sums = new float[16];
        var job = new NestedJob(sums);
        ctx.For(16, ref job);
        for (int i = 0; i < 16; i++) Assert.Equal(6f * i, sums[i]);
    }

    private readonly struct SumJob(float[] data, float[] partial) : IParallelJob
    {
        public void Run(int index, ComputeContext lane)
        {
            var (from, to) = BatchSplit.ElementRange(data.Length, partial.Length, index);
            float s = 0;
            for (int i = from; i < to; i++) s += data[i];
            partial[index] = s;
        }
    }

    [Fact]
    public void For_allocates_nothing_after_warm_up()
    {
        using var ctx = new ComputeContext(2);
        var data = Enumerable.Range(0, 4096).Select(i => (float)i).ToArray();
        var partial = new float[8];
        void Once()
        {
            var job = new SumJob(data, partial);
            ctx.For(partial.Length, ref job);
        }
        for (int i = 0; i < 100; i++) Once();
        // The calling thread, exactly (other tests running meanwhile allocate on theirs; the workers run the same
        // code as the caller, and AllocationTests measures every thread over whole training steps).
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++) Once();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(4095f * 4096 / 2, partial.Sum());
    }

    /// <summary>Drives a new choice, with made-up times, to run its next <see cref="ParallelChoice.MinInterval"/> calls on the caller alone.</summary>
    internal static ParallelChoice DriveInline(ParallelChoice choice)
    {
        for (int i = 0; i < 2 * ParallelChoice.Sample; i++) choice.Record(choice.NextInline() ? 1 : 1000);
        Assert.True(choice.Inline);
        return choice;
    }

    private static ParallelChoice InlineChoice() => DriveInline(new ParallelChoice(long.MaxValue));

    [Fact]
    public void A_call_chosen_inline_runs_every_item_on_the_caller_and_later_jobs_share_again()
    {
        using var ctx = new ComputeContext(2);
        var choice = InlineChoice();
        var lanes = new ComputeContext?[64];
        for (int r = 0; r < 10; r++) // fewer calls than a probe interval: every one inline
        {
            var counts = new int[64];
            var job = new CountJob(counts, lanes);
            using (var call = ctx.Begin(choice))
            {
                ctx.For(64, ref job);
                call.Complete();
            }
            Assert.All(counts, c => Assert.Equal(1, c));
            Assert.Single(lanes.Distinct()); // the caller's lane
        }
        Assert.Equal(0, ctx.LiveWorkers); // no job was offered to a worker, so none was started
        var after = new CountJob(new int[64], lanes);
        ctx.For(64, ref after);
        Assert.Equal(1, ctx.LiveWorkers);
    }

    [Fact]
    public void A_one_thread_context_or_no_choice_makes_a_plain_call()
    {
        using var one = new ComputeContext(1);
        var choice = InlineChoice();
        int probes = choice.Probes;
        using (var call = one.Begin(choice)) call.Complete();
        using (var call = one.Begin(null)) call.Complete();
        Assert.Equal(probes, choice.Probes);
        Assert.True(choice.Inline);
    }

    [Fact]
    public void Fewer_than_one_thread_is_an_error()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ComputeContext(0));
        using var model = Jimu.Models.Model.Create(Jimu.Models.BuiltIns.LeNet5);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Threads = 0);
        Assert.Equal(Environment.ProcessorCount, model.Threads);
        model.Threads = 1;
        Assert.Equal(1, model.Network.Context.Threads);
        Assert.Same(model.Network.Context, model.Network.Layers[0].Context);
    }
}

public class WorkerPoolHomeTests
{
    private readonly struct NoteJob(int[] counts) : IParallelJob
    {
        public void Run(int index, ComputeContext lane) => Interlocked.Increment(ref counts[index]);
    }

    /// <summary>Lane l of T owns items [l·n/T, (l+1)·n/T).</summary>
    internal static int HomeLane(int item, int count, int lanes)
    {
        for (int l = 0; l < lanes; l++)
            if (item < (int)((long)count * (l + 1) / lanes)) return l;
        throw new ArgumentOutOfRangeException(nameof(item));
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(2, 16)]
    [InlineData(2, 7)]
    [InlineData(3, 3)]
    [InlineData(3, 10)]
    [InlineData(4, 2)]
    [InlineData(4, 9)]
    public void Without_stealing_every_item_runs_on_its_home_lane(int threads, int count)
    {
        using var ctx = new ComputeContext(threads) { NoStealing = true };
        var trace = new LaneTrace(4096);
        ctx.Trace = trace;
        for (int repeat = 0; repeat < 20; repeat++)
        {
            var counts = new int[count];
            var job = new NoteJob(counts);
            ctx.For(count, ref job);
            Assert.All(counts, c => Assert.Equal(1, c));
        }
        Assert.False(trace.Overflowed);
        Assert.Equal(20, trace.Jobs.Length);
        int lanes = Math.Min(threads, count);
        Assert.All(trace.Jobs.ToArray(), j => Assert.Equal((count, lanes), (j.Count, j.Lanes)));
        Assert.Equal(20 * count, trace.Items.Length);
        foreach (var item in trace.Items) Assert.Equal(HomeLane(item.Index, count, lanes), item.Lane);
        // The owner runs its items in order.
        for (int j = 0; j < 20; j++)
            for (int l = 0; l < lanes; l++)
            {
                var own = trace.Items.ToArray().Where(i => i.Job == j && i.Lane == l).Select(i => i.Index).ToArray();
                Assert.Equal(own.Order(), own);
            }
    }

    /// <summary>Item runs on a worker wait until every other item is done: only a caller that steals finishes the job.</summary>
    private readonly struct StallJob(int[] counts, ComputeContext caller, int[] stalled) : IParallelJob
    {
        public void Run(int index, ComputeContext lane)
        {
            if (lane != caller && Interlocked.Exchange(ref stalled[0], 1) == 0)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                while (Volatile.Read(ref counts[0]) < counts.Length - 2) // all but this one
                {
                    if (clock.ElapsedMilliseconds > 20000) { stalled[1] = 1; break; }
                    Thread.Yield();
                }
            }
            Interlocked.Increment(ref counts[0]);
            Interlocked.Increment(ref counts[index + 1]);
        }
    }

    [Fact]
    public void The_caller_takes_a_stalled_lanes_items_and_every_item_runs_once()
    {
        using var ctx = new ComputeContext(2);
        var callerLane = CallerLane(ctx);
        var trace = new LaneTrace(1 << 14);
        ctx.Trace = trace;
        int stolen = 0;
        for (int repeat = 0; repeat < 20; repeat++)
        {
            var counts = new int[17]; // counts[0]: items done; counts[1 + i]: runs of item i
            var stalled = new int[2];
            var job = new StallJob(counts, callerLane, stalled);
            ctx.For(16, ref job);
            Assert.Equal(0, stalled[1]); // the stalled lane was not waited for
            Assert.All(counts.Skip(1), c => Assert.Equal(1, c));
        }
        foreach (var item in trace.Items)
            if (item.Lane == 0 && item.Index >= 8) stolen++;
        Assert.True(stolen > 0, "the caller never ran one of the worker's items");
    }

    /// <summary>The lane context the caller's items get.</summary>
    private static ComputeContext CallerLane(ComputeContext ctx)
    {
        var lanes = new ComputeContext?[1];
        var job = new LaneJob(lanes);
        ctx.For(1, ref job); // one item runs on the caller
        return lanes[0]!;
    }

    private readonly struct LaneJob(ComputeContext?[] lanes) : IParallelJob
    {
        public void Run(int index, ComputeContext lane) => lanes[index] = lane;
    }
}
