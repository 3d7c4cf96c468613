using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Jimu.Data;
using Jimu.Images;
using Jimu.Kernels;
using Jimu.Layers;
using Jimu.Losses;
using Jimu.Models;
using Jimu.Tensors;
using Jimu.Training;
using Spectre.Console;

namespace Jimu.Cli.Commands;

/// <summary>
/// `jimu bench model`: training and inference speed of a whole network on synthetic data, managed allocations
/// per training step, peak working set, and training FLOP/s as a share of the measured FMA peak.
/// </summary>
public static class BenchModelCommand
{
    public static Command Create()
    {
        var arch = new Option<string>("--arch")
        {
            Description = $"Architecture: a built-in ({string.Join(", ", BuiltIns.Names)}) or a JSON file; several separated by commas are measured one after another in this process.",
            DefaultValueFactory = _ => "mnist-tf",
        };
        var cmd = new Command("model", "Training and inference speed of a network on synthetic data.") { arch };
        AddMeasureOptions(cmd, r => r.GetValue(arch)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        return cmd;
    }

    /// <summary>`jimu bench suite`: <c>bench model</c> over <see cref="BuiltIns.Suite"/>.</summary>
    public static Command CreateSuite()
    {
        var cmd = new Command("suite",
            $"Training (batch 64) and inference (batch 1000 and 1) speed of every network of the suite ({string.Join(", ", BuiltIns.Suite)}) in one run, with managed allocations per training step.");
        AddMeasureOptions(cmd, _ => [.. BuiltIns.Suite]);
        return cmd;
    }

    /// <summary>The options and action shared by `bench model` and `bench suite`: measure each architecture, print.</summary>
    private static void AddMeasureOptions(Command cmd, Func<ParseResult, string[]> architectures)
    {
        var batch = new Option<int>("--batch-size") { Description = "Training batch size.", DefaultValueFactory = _ => 64 };
        var repeats = new Option<int>("--repeats") { Description = "Timed repeats of each measurement (median, min and max reported).", DefaultValueFactory = _ => 5 };
        var steps = new Option<int>("--steps") { Description = "Training steps per timed repeat.", DefaultValueFactory = _ => 20 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (an array of them for several architectures)." };
        var profile = new Option<bool>("--profile") { Description = "Also time each layer's forward and backward in a training step." };
        var data = new DataOptions();
        data.Data.Description = "Also train from this data (an IDX or image folder, as train takes it) through train's own loop (batching, augmentation, normalisation, metrics), in turns with the synthetic steps, and report its images/s as a share of theirs.";
        var shift = new Option<int>("--shift") { Description = "With --data: augment as train --shift N does (default 0: off)." };
        var crop = new Option<int>("--crop") { Description = "With --data: augment as train --crop N does (default 0: off)." };
        var flip = new Option<bool>("--flip") { Description = "With --data: augment as train --flip does." };
        var normalize = new Option<bool>("--normalize-auto") { Description = "With --data: normalise the batches by the training split's mean and std, as train --normalize auto does." };
        cmd.Options.Add(batch); cmd.Options.Add(repeats); cmd.Options.Add(steps); cmd.Options.Add(json); cmd.Options.Add(profile);
        foreach (var o in data.All) cmd.Options.Add(o);
        cmd.Options.Add(shift); cmd.Options.Add(crop); cmd.Options.Add(flip); cmd.Options.Add(normalize);
        cmd.SetAction(r =>
        {
            CommonOptions.ApplyThreads(r);
            int b = r.GetValue(batch), reps = r.GetValue(repeats), n = r.GetValue(steps);
            if (b < 1 || reps < 1 || n < 1) throw new CommandLineException("--batch-size, --repeats and --steps must be at least 1.");
            var names = architectures(r);
            if (names.Length == 0) throw new CommandLineException("--arch names no architecture; give a built-in name or a JSON file.");
            // Every architecture is resolved before the first is measured: a typo fails at once, not after minutes.
            var resolved = names.Select(Architecture.Resolve).ToArray();
            if (r.GetValue(shift) < 0 || r.GetValue(crop) < 0) throw new CommandLineException("--shift and --crop must be 0 or more pixels.");
            var feed = r.GetValue(data.Data) is null ? null : new TrainingOptions
            {
                Epochs = 1, BatchSize = b, MaxShift = r.GetValue(shift), CropPadding = r.GetValue(crop), Flip = r.GetValue(flip),
            };
            var results = new List<Result>();
            for (int i = 0; i < resolved.Length; i++)
            {
                var a = resolved[i];
                DataFeed? from = null;
                if (feed is not null)
                {
                    // The data is loaded as train loads it: a built-in fitted to it, every shape check before decoding.
                    string dir = data.Directory(r);
                    a = DataOptions.Fit(a, BuiltIns.TryGet(names[i]) is not null, dir, r.GetValue(data.ValSplit), feed.Seed, r.GetValue(data.Classes));
                    DataSource.CheckFits(dir, DataSource.Detect(dir), a.Input, $"architecture '{a.Name}'");
                    var loaded = data.Load(r, a.Input, feed.Seed);
                    from = new DataFeed(loaded, feed, r.GetValue(normalize) ? Normalization.Compute(loaded.Train) : null);
                }
                var result = Run(a, b, reps, n, r.GetValue(profile), from);
                results.Add(result);
                if (!r.GetValue(json) && (resolved.Length == 1 || r.GetValue(profile))) Print(result);
            }
            if (r.GetValue(json))
            {
                Console.Out.WriteLine(resolved.Length == 1
                    ? JsonSerializer.Serialize(results[0].ToJson(), CliJson.Default.DictionaryStringObject)
                    : JsonSerializer.Serialize(results.Select(x => x.ToJson()).ToArray(), CliJson.Default.DictionaryStringObjectArray));
                return 0;
            }
            if (resolved.Length > 1) PrintSummary(results);
            return 0;
        });
    }

    public sealed record LayerTime(string Layer, double ForwardMs, double BackwardMs);

    public sealed record Result(string Arch, int BatchSize, int Threads, double PeakGflopsPerCore,
        Timing TrainImagesPerSecond, Timing PredictImagesPerSecond, Timing PredictLatencyMs,
        double AllocatedBytesPerStep, double PeakWorkingSetMb, double TrainPercentOfPeak, long TrainMultiplyAdds,
        IReadOnlyList<LayerTime>? Profile, double OptimizerMs, IReadOnlyList<LayerTime>? LatencyProfile,
        IReadOnlyList<BatchNormShare>? BatchNormShares = null)
    {
        /// <summary>Of the timed batch-1 passes, the share run on the caller alone (timed faster than sharing them), and how often the choice changed.</summary>
        public (double InlineShare, int Changes) LatencySharing { get; init; }

        /// <summary>Nanoseconds for a cache line to go between two threads and back, measured just before the batch-1 passes (NaN: not measured).</summary>
        public double RoundTripNs { get; init; } = double.NaN;

        /// <summary>
        /// Of the items of parallel jobs in the timed training windows, the share that ran on another lane than their
        /// home (a late worker, a descheduled caller): each such item's data went across the cores (NaN: one thread).
        /// </summary>
        public double TrainStolenShare { get; init; } = double.NaN;

        /// <summary>With --data: what was loaded, and training images/s through train's loop from it (null without).</summary>
        public DataResult? Data { get; init; }

        public Dictionary<string, object> ToJson()
        {
            var d = new Dictionary<string, object>
            {
                ["arch"] = Arch,
                ["batch_size"] = BatchSize,
                ["threads"] = Threads,
                ["peak_gflops_per_core"] = PeakGflopsPerCore,
                ["train_mflop_per_image"] = 2.0 * TrainMultiplyAdds / 1e6,
                ["train_images_per_s"] = TrainImagesPerSecond.Median,
                ["train_images_per_s_min"] = TrainImagesPerSecond.Min,
                ["train_images_per_s_max"] = TrainImagesPerSecond.Max,
                ["predict_images_per_s"] = PredictImagesPerSecond.Median,
                ["predict_images_per_s_min"] = PredictImagesPerSecond.Min,
                ["predict_images_per_s_max"] = PredictImagesPerSecond.Max,
                ["predict_latency_ms_batch1"] = PredictLatencyMs.Median,
                ["predict_latency_ms_batch1_min"] = PredictLatencyMs.Min,
                ["predict_latency_ms_batch1_max"] = PredictLatencyMs.Max,
                ["predict_batch1_inline_share"] = LatencySharing.InlineShare,
                ["predict_batch1_sharing_changes"] = LatencySharing.Changes,
                ["core_round_trip_ns"] = double.IsNaN(RoundTripNs) ? -1 : RoundTripNs,
                ["train_items_stolen_share"] = double.IsNaN(TrainStolenShare) ? -1 : TrainStolenShare,
                ["train_allocated_bytes_per_step"] = AllocatedBytesPerStep,
                ["peak_working_set_mb"] = PeakWorkingSetMb,
                ["train_percent_of_peak"] = TrainPercentOfPeak,
            };
            if (Data is { } f)
            {
                d["data"] = f.Description;
                if (f.DecodeSeconds is { } seconds) d["data_decode_seconds"] = seconds;
                d["data_train_images_per_s"] = f.ImagesPerSecond.Median;
                d["data_train_images_per_s_min"] = f.ImagesPerSecond.Min;
                d["data_train_images_per_s_max"] = f.ImagesPerSecond.Max;
                d["data_percent_of_synthetic"] = f.PercentOfSynthetic.Median;
                d["data_percent_of_synthetic_min"] = f.PercentOfSynthetic.Min;
                d["data_percent_of_synthetic_max"] = f.PercentOfSynthetic.Max;
            }
            if (Profile is not null)
            {
                d["profile_ms"] = Profile.Select(p => new Dictionary<string, object> { ["layer"] = p.Layer, ["forward"] = p.ForwardMs, ["backward"] = p.BackwardMs }).ToArray();
                d["profile_optimizer_ms"] = OptimizerMs;
                d["batchnorm_share"] = (BatchNormShares ?? []).Select(b => new Dictionary<string, object> { ["block"] = b.Block, ["block_ms"] = b.BlockMs, ["without_batchnorm_ms"] = b.WithoutBatchNormMs, ["batchnorm_step_ms"] = b.BatchNormStepMs, ["added_ms"] = b.AddedMs, ["added_share"] = b.AddedShare }).ToArray();
                d["latency_profile_ms"] = LatencyProfile!.Select(p => new Dictionary<string, object> { ["layer"] = p.Layer, ["forward"] = p.ForwardMs }).ToArray();
            }
            return d;
        }
    }

    /// <summary>Data to train from besides the synthetic batch (--data), and the options train's loop gets for it.</summary>
    public sealed record DataFeed(LoadedData Loaded, TrainingOptions Options, Normalization? Normalization);

    /// <summary>
    /// Training from data against the synthetic steps: images/s through <see cref="Model.Fit"/>'s loop, and each
    /// window's rate as a percentage of the synthetic window timed just before it (so load on the machine, clock
    /// changes or the runtime's tiering hit both sides of each ratio alike).
    /// </summary>
    public sealed record DataResult(string Description, double? DecodeSeconds, Timing ImagesPerSecond, Timing PercentOfSynthetic);

    public static Result Run(Architecture architecture, int batchSize, int repeats, int steps, bool profile, DataFeed? data = null)
    {
        int threads = CommonOptions.ThreadCount;
        double peak = FmaPeak.MeasureGflopsPerCore();
        using var model = Model.Create(architecture, seed: 1);
        model.Threads = threads;
        var net = model.Network;
        var rng = new Random(7);
        var x = RandomImages(rng, batchSize, net.InputShape);
        int classes = net.OutputShape[^1];
        var labels = Enumerable.Range(0, batchSize).Select(_ => rng.Next(classes)).ToArray();
        var loss = new SoftmaxCrossEntropy();
        var sgd = new Sgd(net.Parameters, 0.001f, momentum: 0.9f, weightDecay: 5e-4f) { Context = net.Context };
        net.Training = true;
        void Step()
        {
            loss.Forward(net.Forward(x), labels);
            net.Backward(loss.Backward());
            sgd.Step();
        }

        // Warm-up long enough for the runtime to finish compiling: a method called once per step is recompiled with
        // full optimisation only after 30 calls and a pause, and timing before that measures unoptimised code.
        WarmUp(Step, Warm);
        // Median over single steps: an allocation of ours shows in every step, the runtime's own
        // (background JIT tiering) only now and then.
        double allocated = Timing.FromSamples(Enumerable.Range(0, 21).Select(_ =>
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            Step();
            return (double)(GC.GetTotalAllocatedBytes(precise: true) - before);
        }).ToArray()).Median;

        double Synthetic()
        {
            net.Training = true;
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < steps; i++) Step();
            return steps * batchSize / Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        DataResult? fromData = null;
        Timing train;
        var (items0, stolen0) = net.Context.LaneCounts;
        if (data is null) train = Timing.FromSamples(Enumerable.Range(0, repeats).Select(_ => Synthetic()).ToArray());
        else
        {
            // Turns: a synthetic window, then as many steps through train's loop on the data; the first pair warms up.
            var synthetic = new double[repeats]; var fed = new double[repeats]; var ratios = new double[repeats];
            FromData(model, data, steps, 0);
            for (int i = 0; i < repeats; i++)
            {
                synthetic[i] = Synthetic();
                fed[i] = FromData(model, data, steps, i + 1);
                ratios[i] = fed[i] / synthetic[i] * 100;
            }
            train = Timing.FromSamples(synthetic);
            fromData = new DataResult(DataOptions.Describe(data.Loaded), data.Loaded.Images?.DecodeTime.TotalSeconds,
                Timing.FromSamples(fed), Timing.FromSamples(ratios));
            net.Training = true;
        }
        var (items1, stolen1) = net.Context.LaneCounts;
        double stolenShare = threads > 1 && items1 > items0 ? (double)(stolen1 - stolen0) / (items1 - items0) : double.NaN;
        double workingSet = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
        long macs = ModelCost.TrainingMultiplyAdds(net);
        double percent = train.Median * 2.0 * macs / 1e9 / (peak * threads) * 100;

        List<LayerTime>? layerTimes = null;
        double optimizerMs = 0;
        if (profile) (layerTimes, optimizerMs) = Profile(net, x, labels, loss, sgd, Math.Max(steps, 10));
        var shares = layerTimes is null ? null : BatchNormShares(net, x, layerTimes);

        net.Training = false;
        var big = RandomImages(rng, 1000, net.InputShape);
        WarmUp(() => net.Forward(big), Warm);
        var predict = MeasureRate(() => net.Forward(big), 1000, repeats);
        var one = RandomImages(rng, 1, net.InputShape);
        // What handing data between two threads costs now: one image split over them hands every layer's output over.
        double roundTrip = threads > 1 ? CoreRoundTrip.MeasureNs() : double.NaN;
        // Long enough for the pass's sharing choice (ParallelChoice) to have probed both ways several times.
        WarmUp(() => net.Forward(one), Warm);
        var choice = net.ChoiceFor(1);
        (long calls, long inline, int changes) = (choice.Calls, choice.InlineCalls, choice.Switches);
        var latency = Timing.FromSamples(Enumerable.Range(0, repeats + 1).Select(_ =>
        {
            const int Iterations = 200;
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < Iterations; i++) net.Forward(one);
            return Stopwatch.GetElapsedTime(t0).TotalMilliseconds / Iterations;
        }).Skip(1).ToArray());
        var sharing = (InlineShare: (double)(choice.InlineCalls - inline) / Math.Max(1, choice.Calls - calls), Changes: choice.Switches - changes);

        List<LayerTime>? latencyTimes = profile ? LatencyProfile(net, one, 200) : null;
        return new Result(architecture.Name, batchSize, threads, peak, train, predict, latency, allocated, workingSet,
            percent, macs, layerTimes, optimizerMs, latencyTimes, shares) { Data = fromData, LatencySharing = sharing, RoundTripNs = roundTrip, TrainStolenShare = stolenShare };
    }

    /// <summary>
    /// Images/s of <paramref name="steps"/> training steps on the data through <see cref="Model.Fit"/> (shuffled as
    /// epoch <paramref name="window"/> of a run, so each window reads other images): the rate train reports, taken
    /// when the last step ends.
    /// </summary>
    private static double FromData(Model model, DataFeed data, int steps, int window)
    {
        var settings = new OptimizerSettings { Kind = OptimizerKind.Sgd, LearningRate = 0.001f, Momentum = 0.9f, WeightDecay = 5e-4f };
        using var stop = new CancellationTokenSource();
        double rate = 0;
        model.Normalization = data.Normalization;
        model.Fit(data.Loaded.Train, null, settings, data.Options with { Seed = window + 1 },
            onStep: p => { rate = p.ImagesPerSecond; if (p.Step >= steps) stop.Cancel(); }, cancellation: stop.Token);
        return rate;
    }

    /// <summary>
    /// A conv-BN-ReLU block: the block as the network runs it and the same block without its BatchNorm, each timed
    /// alone (forward and backward, median ms), and the BatchNorm step's time in the training profile.
    /// </summary>
    public sealed record BatchNormShare(string Block, double BlockMs, double WithoutBatchNormMs, double BatchNormStepMs)
    {
        /// <summary>
        /// What BatchNorm costs the block: the median over the turns of the block less the same block without it;
        /// negative where the block with BatchNorm runs faster (a first convolution's fused path writes no input
        /// gradient, where the ReLU alone writes one for the convolution to read).
        /// </summary>
        public double AddedMs { get; init; }
        /// <summary>What BatchNorm adds, as a part of the block.</summary>
        public double AddedShare => AddedMs / BlockMs;
    }

    /// <summary>
    /// For each BatchNorm step right after a convolution and applying a ReLU (itself, or through a ReLU step or the
    /// 2×2 pool that normalises, rectifies and pools for it): the block's steps as the network runs them, timed alone
    /// on the convolution's input, against the same convolution (its weights, algorithm and input-gradient need) and
    /// ReLU(+pool) without the BatchNorm. Where the convolution does the BatchNorm's passes (a first layer,
    /// <c>ConvBatchNorm</c>), that work shows in the convolution's row of the profile, not the BatchNorm's; timing the
    /// whole block with and without BatchNorm counts it wherever it runs.
    /// </summary>
    private static List<BatchNormShare> BatchNormShares(Sequential net, Tensor x, List<LayerTime> times)
    {
        var steps = net.Steps;
        var shares = new List<BatchNormShare>();
        // Each step's input, from one forward pass.
        var inputs = new Tensor[steps.Count];
        var h = x;
        for (int i = 0; i < steps.Count; i++) { inputs[i] = h; h = steps[i].Forward(h); }
        for (int i = 1; i < steps.Count; i++)
        {
            if (steps[i] is not BatchNorm bn || steps[i - 1] is not Conv2D conv) continue;
            int last = i;
            if (i + 1 < steps.Count && (bn.FusedPool is not null && ReferenceEquals(steps[i + 1], bn.FusedPool) || !bn.AppliesRelu && steps[i + 1] is Relu))
                last = i + 1;
            else if (!bn.AppliesRelu) continue; // no ReLU after it: not a conv-BN-ReLU block
            var block = steps.Skip(i - 1).Take(last - i + 2).ToList();
            var (with, without, added) = TimeBlocks(block, WithoutBatchNorm(net, conv, bn), inputs[i - 1]);
            shares.Add(new BatchNormShare($"{times[i - 1].Layer} … {times[last].Layer}", with, without, times[i].ForwardMs + times[i].BackwardMs)
            {
                AddedMs = added,
            });
        }
        return shares;
    }

    /// <summary>
    /// The block as it would be without the BatchNorm: a copy of the convolution (weights, algorithm, whether it
    /// computes an input gradient), then the ReLU, or the 2×2 max pool applying it as the network runs a ReLU before a pool.
    /// </summary>
    private static List<Layer> WithoutBatchNorm(Sequential net, Conv2D conv, BatchNorm bn)
    {
        var plain = new Conv2D(conv.InChannels, conv.OutChannels, conv.KernelH, conv.KernelW, conv.StrideH, conv.StrideW, conv.Padding,
            conv.HasBias, conv.Algorithm, "conv") { InputGradientRequired = conv.InputGradientRequired };
        for (int p = 0; p < conv.Parameters.Count; p++) plain.Parameters[p].Value.CopyFrom(conv.Parameters[p].Value);
        Layer relu = bn.FusedPool is { } pool
            ? new MaxPool2D(pool.KernelH, pool.KernelW, pool.StrideH, pool.StrideW, pool.Padding, pool.Algorithm, "pool") { AppliesRelu = true }
            : new Relu("relu");
        List<Layer> layers = [plain, relu];
        foreach (var l in layers) { l.Context = net.Context; l.Training = true; }
        relu.InputGradientRequired = true;
        return layers;
    }

    /// <summary>
    /// Median time of a forward and backward pass through each of two chains of steps on the same input, and the
    /// median of their differences: taken in turns, each pair sees the same state of a shared machine.
    /// </summary>
    private static (double A, double B, double Difference) TimeBlocks(List<Layer> a, List<Layer> b, Tensor input)
    {
        double Once(List<Layer> steps)
        {
            long t0 = Stopwatch.GetTimestamp();
            var y = input;
            foreach (var s in steps) y = s.Forward(y);
            Tensor? g = y;
            for (int j = steps.Count - 1; j >= 0 && g is not null; j--) g = steps[j].Backward(g);
            return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        const int Turns = 31;
        double[] sa = new double[Turns], sb = new double[Turns], d = new double[Turns];
        for (int s = -5; s < Turns; s++)
        {
            double ta = Once(a), tb = Once(b);
            if (s >= 0) { sa[s] = ta; sb[s] = tb; d[s] = ta - tb; }
        }
        return (Timing.FromSamples(sa).Median, Timing.FromSamples(sb).Median, Timing.FromSamples(d).Median);
    }

    /// <summary>How long each measurement is warmed up for.</summary>
    private static readonly TimeSpan Warm = TimeSpan.FromSeconds(1);

    /// <summary>Runs <paramref name="action"/> for at least <paramref name="time"/> and at least 40 times.</summary>
    private static void WarmUp(Action action, TimeSpan time)
    {
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < 40 || Stopwatch.GetElapsedTime(t0) < time; i++) action();
    }

    private static Timing MeasureRate(Action action, int images, int repeats)
    {
        action();
        return Timing.FromSamples(Enumerable.Range(0, repeats).Select(_ =>
        {
            long t0 = Stopwatch.GetTimestamp();
            int iterations = 0;
            do { action(); iterations++; } while (Stopwatch.GetElapsedTime(t0).TotalSeconds < 0.5);
            return iterations * images / Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }).ToArray());
    }

    /// <summary>Median time of each step's forward and backward over several training steps.</summary>
    private static (List<LayerTime>, double) Profile(Sequential net, Tensor x, int[] labels, SoftmaxCrossEntropy loss, Sgd sgd, int steps)
    {
        var layers = net.Steps;
        int count = layers.Count;
        var fwd = new double[count][];
        var bwd = new double[count][];
        for (int i = 0; i < count; i++) { fwd[i] = new double[steps]; bwd[i] = new double[steps]; }
        var opt = new double[steps];
        for (int s = 0; s < steps; s++)
        {
            var h = x;
            for (int i = 0; i < count; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                h = layers[i].Forward(h);
                fwd[i][s] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            loss.Forward(h, labels);
            Tensor? g = loss.Backward();
            for (int i = count - 1; i >= 0 && g is not null; i--)
            {
                long t0 = Stopwatch.GetTimestamp();
                g = layers[i].Backward(g);
                bwd[i][s] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            long t1 = Stopwatch.GetTimestamp();
            sgd.Step();
            opt[s] = Stopwatch.GetElapsedTime(t1).TotalMilliseconds;
        }
        var result = Enumerable.Range(0, count).Select(i => new LayerTime(StepName(net, layers[i]), Timing.FromSamples(fwd[i]).Median, Timing.FromSamples(bwd[i]).Median)).ToList();
        return (result, Timing.FromSamples(opt).Median);
    }

    /// <summary>Median time of each step's forward pass for one image in evaluation mode.</summary>
    private static List<LayerTime> LatencyProfile(Sequential net, Tensor one, int iterations)
    {
        var layers = net.Steps;
        var times = layers.Select(_ => new double[iterations]).ToArray();
        for (int s = 0; s < iterations; s++)
        {
            var h = one;
            for (int i = 0; i < layers.Count; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                h = layers[i].Forward(h);
                times[i][s] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
        }
        return layers.Select((l, i) => new LayerTime(StepName(net, l), Timing.FromSamples(times[i]).Median, 0)).ToList();
    }

    /// <summary>
    /// A step's layer name with the ReLU that runs inside it: in front when it comes before ("relu1+pool1"), behind
    /// when after ("bn3+relu3"); a ReLU between a BatchNorm and the 2×2 pool that normalises for it goes to the pool.
    /// </summary>
    private static string StepName(Sequential net, Layer step)
    {
        var layers = net.Layers;
        int at = IndexOf(layers, step);
        string name = step is MaxPool2D && at > 0 && !net.Steps.Contains(layers[at - 1]) ? $"{layers[at - 1].Name}+{step.Name}" : step.Name;
        bool nextSkipped = at + 1 < layers.Count && !net.Steps.Contains(layers[at + 1]);
        bool poolTakesIt = at + 2 < layers.Count && layers[at + 2] is MaxPool2D && net.Steps.Contains(layers[at + 2]);
        return nextSkipped && !poolTakesIt ? $"{name}+{layers[at + 1].Name}" : name;
    }

    private static int IndexOf(IReadOnlyList<Layer> layers, Layer layer)
    {
        for (int i = 0; i < layers.Count; i++) if (ReferenceEquals(layers[i], layer)) return i;
        return -1;
    }

    private static Tensor RandomImages(Random rng, int n, int[] shape)
    {
        var t = new Tensor([n, .. shape]);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)rng.NextDouble();
        return t;
    }

    /// <summary>One row per architecture: what the README's comparison with TorchSharp and ONNX Runtime quotes.</summary>
    private static void PrintSummary(IReadOnlyList<Result> results)
    {
        var inv = CultureInfo.InvariantCulture;
        var r0 = results[0];
        bool fed = results.Any(r => r.Data is not null);
        var table = new Table().Title($"{results.Count} networks, training batch {r0.BatchSize}, {r0.Threads} thread(s), medians")
            .AddColumns("network", "train images/s", "% of FMA peak", "infer images/s (batch 1000)", "latency ms (batch 1)", "managed bytes per training step");
        if (fed) table.AddColumns("train images/s from --data", "% of synthetic");
        foreach (var r in results)
        {
            string[] row = [Markup.Escape(r.Arch), r.TrainImagesPerSecond.Median.ToString("F0", inv), r.TrainPercentOfPeak.ToString("F1", inv),
                r.PredictImagesPerSecond.Median.ToString("F0", inv), r.PredictLatencyMs.Median.ToString("F3", inv), r.AllocatedBytesPerStep.ToString("F0", inv)];
            if (fed) row = [.. row, r.Data?.ImagesPerSecond.Median.ToString("F0", inv) ?? "", r.Data?.PercentOfSynthetic.Median.ToString("F1", inv) ?? ""];
            table.AddRow(row);
        }
        AnsiConsole.Console.Write(table);
        AnsiConsole.Console.WriteLine(string.Create(inv, $"FMA peak measured at {r0.PeakGflopsPerCore:F0} GFLOP/s per core"));
    }

    private static void Print(Result r)
    {
        var inv = CultureInfo.InvariantCulture;
        var console = AnsiConsole.Console;
        var table = new Table().Title($"{r.Arch}, batch {r.BatchSize}, {r.Threads} thread(s)").AddColumns("measure", "median", "min", "max");
        void Row(string name, Timing t, string format) => table.AddRow(name, t.Median.ToString(format, inv), t.Min.ToString(format, inv), t.Max.ToString(format, inv));
        Row("train images/s", r.TrainImagesPerSecond, "F0");
        Row("predict images/s (batch 1000)", r.PredictImagesPerSecond, "F0");
        Row("predict latency ms (batch 1)", r.PredictLatencyMs, "F3");
        if (r.Data is { } f)
        {
            Row("train images/s from --data", f.ImagesPerSecond, "F0");
            Row("  as % of synthetic (each window)", f.PercentOfSynthetic, "F1");
        }
        console.Write(table);
        if (r.Data is { } d) console.WriteLine(string.Create(inv, $"--data: {d.Description}"));
        console.WriteLine(string.Create(inv, $"training: {2.0 * r.TrainMultiplyAdds / 1e6:F1} MFLOP per image, {r.TrainPercentOfPeak:F1}% of the FMA peak ({r.PeakGflopsPerCore:F0} GFLOP/s per core x {r.Threads})"));
        console.WriteLine(string.Create(inv, $"managed allocations per training step: {r.AllocatedBytesPerStep:F0} bytes; peak working set {r.PeakWorkingSetMb:F0} MB"));
        if (!double.IsNaN(r.TrainStolenShare))
            console.WriteLine(string.Create(inv, $"training: {r.TrainStolenShare * 100:F1}% of the parallel jobs' items ran away from their home thread (a thread late or descheduled; their data crossed between the cores)"));
        if (r.Threads > 1)
            console.WriteLine(string.Create(inv, $"batch 1: {r.LatencySharing.InlineShare * 100:F0}% of the timed passes ran on the calling thread alone, as timing chose ({r.LatencySharing.Changes} change(s)); a cache line's round trip between two threads: {(double.IsNaN(r.RoundTripNs) ? "not measured" : r.RoundTripNs.ToString("F0", inv) + " ns")} (about 80 where the cores share a cache, 300 or more where not)"));
        if (r.Profile is null) return;
        var p = new Table().Title("training step profile (median ms)").AddColumns("layer", "forward", "backward", "share");
        double total = r.Profile.Sum(l => l.ForwardMs + l.BackwardMs) + r.OptimizerMs;
        foreach (var l in r.Profile)
            p.AddRow(Markup.Escape(l.Layer), l.ForwardMs.ToString("F2", inv), l.BackwardMs.ToString("F2", inv), ((l.ForwardMs + l.BackwardMs) / total * 100).ToString("F1", inv) + "%");
        p.AddRow("optimizer step", "", r.OptimizerMs.ToString("F2", inv), (r.OptimizerMs / total * 100).ToString("F1", inv) + "%");
        p.AddRow("total", "", total.ToString("F2", inv), "");
        console.Write(p);
        if (r.BatchNormShares is { Count: > 0 } shares)
        {
            var b = new Table().Title("BatchNorm in each conv-BN-ReLU block (training step forward + backward, each block timed alone, median ms)")
                .AddColumns("block", "block", "same block without BatchNorm", "added by BatchNorm", "added share", "BatchNorm step in the profile");
            foreach (var s in shares)
                b.AddRow(Markup.Escape(s.Block), s.BlockMs.ToString("F2", inv), s.WithoutBatchNormMs.ToString("F2", inv), s.AddedMs.ToString("F2", inv),
                    (s.AddedShare * 100).ToString("F1", inv) + "%", s.BatchNormStepMs.ToString("F2", inv));
            console.Write(b);
        }
        var lat = new Table().Title("batch-1 inference profile (median ms)").AddColumns("layer", "forward");
        foreach (var l in r.LatencyProfile!) lat.AddRow(Markup.Escape(l.Layer), l.ForwardMs.ToString("F3", inv));
        lat.AddRow("total", r.LatencyProfile!.Sum(l => l.ForwardMs).ToString("F3", inv));
        console.Write(lat);
    }
}
