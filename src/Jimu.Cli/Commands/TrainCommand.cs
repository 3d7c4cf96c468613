using System.CommandLine;
using System.Globalization;
using Jimu.Data;
using Jimu.Images;
using Jimu.Models;
using Jimu.Training;
using Spectre.Console;

namespace Jimu.Cli.Commands;

/// <summary>`jimu train`: trains a model on an MNIST-format data set or an image folder and saves it as .safetensors.</summary>
public static class TrainCommand
{
    // Defaults chosen to clear 98 % on the bundled 2,000-image test split (see README, "Training defaults").
    public const int DefaultEpochs = 12;
    public const int DefaultBatchSize = 64;
    public const float DefaultLearningRate = 0.05f;

    /// <summary>
    /// The learning rate when --lr is not given: 0.05, and 0.1 for bn-cnn, whose BatchNorm layers take the larger
    /// step (on the bundled sample, 12 epochs: 98.75 % against 98.35 % at 0.05).
    /// </summary>
    public static float DefaultLearningRateFor(string arch) =>
        arch.Equals("bn-cnn", StringComparison.OrdinalIgnoreCase) ? 0.1f : DefaultLearningRate;
    public const float DefaultMomentum = 0.9f;
    public const float DefaultWeightDecay = 5e-4f;
    public const string DefaultSchedule = "cosine";
    public const int DefaultShift = 2;

    public static Command Create()
    {
        var arch = new Option<string>("--arch") { Description = "Architecture: mnist-tf, lenet5, mnist-tf-bn, bn-cnn, vgg3 or a JSON architecture file. A built-in's class count (and bn-cnn's input size) follow the data.", DefaultValueFactory = _ => "mnist-tf" };
        var data = new DataOptions();
        var epochs = new Option<int>("--epochs") { Description = "Number of epochs (in total, when resuming).", DefaultValueFactory = _ => DefaultEpochs };
        var batch = new Option<int>("--batch-size") { Description = "Mini-batch size.", DefaultValueFactory = _ => DefaultBatchSize };
        var lr = new Option<float>("--lr") { Description = "Learning rate (at the start of the schedule; default 0.05, for bn-cnn 0.1).", DefaultValueFactory = _ => DefaultLearningRate };
        var schedule = new Option<string>("--schedule") { Description = "Learning-rate schedule: constant, cosine, or step:EPOCHS:GAMMA.", DefaultValueFactory = _ => DefaultSchedule };
        var momentum = new Option<float>("--momentum") { Description = "SGD momentum.", DefaultValueFactory = _ => DefaultMomentum };
        var nesterov = new Option<bool>("--nesterov") { Description = "Use Nesterov momentum (SGD)." };
        var wd = new Option<float>("--weight-decay") { Description = "L2 weight decay on every parameter, biases included.", DefaultValueFactory = _ => DefaultWeightDecay };
        var optimizer = new Option<string>("--optimizer") { Description = "Optimizer: sgd or adam.", DefaultValueFactory = _ => "sgd" };
        optimizer.AcceptOnlyFromAmong("sgd", "adam");
        var dropout = new Option<double?>("--dropout") { Description = "Override the probability of every dropout layer." };
        var shift = new Option<int>("--shift") { Description = "Augment: move each training image by up to N pixels in each direction, at random (0: off).", DefaultValueFactory = _ => DefaultShift };
        var crop = new Option<int>("--crop") { Description = "Augment: pad each training image with N zero pixels on every side, then crop a random window of the original size (torchvision's RandomCrop(size, padding=N); 0: off)." };
        var flip = new Option<bool>("--flip") { Description = "Augment: flip each training image left-right with probability 1/2 (off by default: wrong for digits and letters)." };
        var normalize = new Option<string>("--normalize") { Description = "Input normalisation saved with the model and applied by eval and predict: none, auto (the training split's per-channel mean and std), or M,S (or M1,M2,M3,S1,S2,S3).", DefaultValueFactory = _ => "none" };
        var noShuffle = new Option<bool>("--no-shuffle") { Description = "Keep the training set's order (no shuffling)." };
        var seed = new Option<int>("--seed") { Description = "Seed for initial weights, shuffling and dropout masks.", DefaultValueFactory = _ => 1 };
        var init = new Option<string?>("--init") { Description = "Start from the weights of this model file (.safetensors or .onnx; its layers must match --arch)." };
        var resume = new Option<string?>("--resume") { Description = "Continue training from this checkpoint (a model file saved by train) exactly where it stopped, with its saved options, up to --epochs." };
        var output = new Option<string?>("--out") { Description = "Output model file, also the checkpoint. Default: ARCH.safetensors (or the --resume file)." };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Also save the --out file as a resumable checkpoint every N optimizer steps (mini-batches); it is always saved after every epoch. 0: epoch ends only.", DefaultValueFactory = _ => 0 };
        var log = new Option<string?>("--log") { Description = "Write every epoch's metrics to FILE.csv or FILE.jsonl (rewritten after each epoch)." };
        var plot = new Option<string?>("--plot") { Description = "Draw loss and accuracy per epoch, train and test, to FILE.png (redrawn after each epoch)." };

        var cmd = new Command("train", "Train a model and save it as .safetensors, a checkpoint after every epoch (and every --checkpoint-every steps) written atomically; Ctrl-C saves the exact step reached; --resume continues from it.")
        {
            arch, epochs, batch, lr, schedule, momentum, nesterov, wd, optimizer, dropout, shift, crop, flip, normalize, noShuffle, seed, init, resume, output, checkpointEvery, log, plot,
        };
        foreach (var o in data.All) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            CommonOptions.ApplyThreads(r);
            if (r.GetValue(init) is not null && r.GetValue(resume) is not null)
                throw new CommandLineException("--init and --resume cannot be used together: --resume continues a run, --init starts a new one from saved weights.");
            if (r.GetValue(checkpointEvery) < 0)
                throw new CommandLineException($"--checkpoint-every must be 0 or more steps, got {r.GetValue(checkpointEvery)}.");
            var options = new TrainingOptions
            {
                Epochs = Positive(r.GetValue(epochs), "--epochs"),
                BatchSize = Positive(r.GetValue(batch), "--batch-size"),
                Shuffle = !r.GetValue(noShuffle),
                MaxShift = r.GetValue(shift) >= 0 ? r.GetValue(shift) : throw new CommandLineException($"--shift must be non-negative, got {r.GetValue(shift)}."),
                CropPadding = r.GetValue(crop) >= 0 ? r.GetValue(crop) : throw new CommandLineException($"--crop must be non-negative, got {r.GetValue(crop)}."),
                Flip = r.GetValue(flip),
                Seed = r.GetValue(seed),
                Schedule = LearningRateSchedule.Parse(r.GetValue(schedule)!),
            };
            var settings = new OptimizerSettings
            {
                Kind = Enum.Parse<OptimizerKind>(r.GetValue(optimizer)!, ignoreCase: true),
                LearningRate = r.GetResult(lr) is { Implicit: false } ? r.GetValue(lr) : DefaultLearningRateFor(r.GetValue(arch)!),
                Momentum = r.GetValue(optimizer) == "adam" ? 0 : r.GetValue(momentum),
                Nesterov = r.GetValue(nesterov),
                WeightDecay = r.GetValue(wd),
            };
            if (r.GetValue(dropout) is { } dp && !(dp >= 0 && dp < 1))
                throw new CommandLineException($"--dropout must be in [0, 1), got {dp.ToString(CultureInfo.InvariantCulture)}.");
            // Construct once to validate the settings before loading any data.
            _ = settings.Create([]);

            string dataDir = data.Directory(r);
            string? resumePath = r.GetValue(resume);
            string normText = r.GetValue(normalize)!.Trim();
            bool normExplicit = r.GetResult(normalize) is { Implicit: false };
            Model model;
            if (resumePath is not null)
            {
                model = ModelOptions.Load(resumePath, r.GetValue(arch) is { } a && r.GetResult(arch) is { Implicit: false } ? Architecture.Resolve(a) : null);
                if (normExplicit)
                    throw new CommandLineException("--normalize cannot change when resuming: the model keeps the normalisation it was trained with.");
            }
            else
            {
                string archName = r.GetValue(arch)!;
                var architecture = DataOptions.Fit(Architecture.Resolve(archName), BuiltIns.TryGet(archName) is not null, dataDir,
                    r.GetValue(data.ValSplit), options.Seed, r.GetValue(data.Classes), data.MaxPixels(r));
                model = Model.Create(architecture, options.Seed);
                model.Threads = CommonOptions.ThreadCount;
                if (r.GetValue(init) is { } initPath) ModelOptions.LoadWeights(model, initPath);
            }
            if (resumePath is not null)
                (options, settings) = ResumeSettings(r, model, options, settings, epochs, [(batch, "BatchSize"), (seed, "Seed"), (noShuffle, "Shuffle"), (shift, "MaxShift"), (crop, "CropPadding"), (flip, "Flip"), (schedule, "Schedule")],
                    [lr, momentum, nesterov, wd, optimizer]);
            options = options with { CheckpointEvery = r.GetValue(checkpointEvery) };
            if (r.GetValue(dropout) is { } p)
                foreach (var d in model.Network.Layers.OfType<Jimu.Layers.Dropout>()) d.Probability = p;
            string outPath = r.GetValue(output) ?? resumePath ?? $"{model.Architecture.Name}.safetensors";
            // Before any data is loaded or step taken: the checkpoint can be written (folder, permissions, room for it).
            Jimu.IO.AtomicFile.RemoveStale(outPath);
            Jimu.IO.AtomicFile.CheckWritable(outPath, Jimu.IO.ModelFile.EstimateSize(model.Network, settings));
            var epochLog = new EpochLog(r.GetValue(log), r.GetValue(plot), model.Architecture.Name, resumePath is not null ? model.EpochsTrained : 0);

            // Every check on the data's shape runs before anything is decoded; nothing is written until training ends.
            DataSource.CheckFits(dataDir, DataSource.Detect(dataDir), model.Network.InputShape, $"architecture '{model.Architecture.Name}'");
            var loaded = data.Load(r, model.Network.InputShape, options.Seed);
            var (train, test) = (loaded.Train, loaded.Test);
            int outputs = model.Network.OutputShape[^1];
            if (train.ClassCount > outputs)
                throw new DataMismatchException(dataDir, $"{outputs} classes", $"{train.ClassCount} classes", $"{dataDir}: the data has {train.ClassCount} classes but architecture '{model.Architecture.Name}' has {outputs} outputs; use an architecture whose last linear layer has out_features {train.ClassCount}.");
            if (resumePath is null)
            {
                if (loaded.Classes is { } names && names.Count == outputs) model.Classes = names;
                model.Normalization = normText.ToLowerInvariant() switch
                {
                    "none" => null,
                    "auto" => Normalization.Compute(train),
                    _ => Normalization.Parse(normText, model.Network.InputShape[0]),
                };
                model.TrainedOn = loaded.Describe();
            }
            else ModelChecks.CheckTrainingData(model, loaded, resumePath);
            var console = AnsiConsole.Console;
            console.MarkupLineInterpolated($"[bold]{model.Architecture.Name}[/]: {model.Network.ParameterCount:N0} parameters; {DataOptions.Describe(loaded)}");
            console.MarkupLineInterpolated($"{settings.Kind.ToString().ToLowerInvariant()} lr {settings.LearningRate} ({options.Schedule}), momentum {settings.Momentum}{(settings.Nesterov ? " nesterov" : "")}, weight decay {settings.WeightDecay}, batch {options.BatchSize}, {Plural(options.Epochs, "epoch")}, shift {options.MaxShift}, crop {options.CropPadding}, flip {(options.Flip ? "on" : "off")}, normalize {(model.Normalization?.ToString() ?? "none")}, seed {options.Seed}, {model.Threads} threads");

            using var cts = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
            Console.CancelKeyPress += onCancel;
            bool cancelled;
            int stepsPerEpoch = (train.Count + Math.Min(options.BatchSize, train.Count) - 1) / Math.Min(options.BatchSize, train.Count);
            var checkpoint = new Checkpoint(model, outPath, stepsPerEpoch);
            try
            {
                cancelled = Run(model, train, test, settings, options, resumePath is not null, cts.Token, console, epochLog, checkpoint.Save);
            }
            finally { Console.CancelKeyPress -= onCancel; }

            checkpoint.Save(model.Position);
            if (cancelled)
            {
                console.MarkupLineInterpolated($"[yellow]Interrupted[/]: saved {outPath} {model.Position.Describe(stepsPerEpoch)} ({model.Steps:N0} optimizer steps in all): the weights, optimizer and position there; continue with --resume {outPath}.");
                return 130;
            }
            console.MarkupLineInterpolated($"Saved [bold]{outPath}[/].");
            return 0;
        });
        return cmd;
    }

    /// <summary>Writes the --out file at each checkpoint; a failed write stops training and says which file is still good.</summary>
    private sealed class Checkpoint(Model model, string path, int stepsPerEpoch)
    {
        private TrainingPosition? _saved;

        public void Save(TrainingPosition position)
        {
            if (_saved == position) return;
            try { model.Save(path); }
            catch (FileWriteException e)
            {
                string kept = _saved is null
                    ? File.Exists(path) ? $"{path} is left as it was" : "nothing was saved"
                    : $"{path} keeps the checkpoint {_saved.Describe(stepsPerEpoch)}";
                throw new FileWriteException(e.Path, $"{e.Message.TrimEnd('.')}; training stopped {position.Describe(stepsPerEpoch)}, {kept}.", e);
            }
            _saved = position;
        }
    }

    /// <summary>
    /// A resumed run continues the checkpoint's run: its training options and optimizer settings come from the
    /// file; only --epochs may change. An option given explicitly with another value is an error, not ignored.
    /// </summary>
    private static (TrainingOptions, OptimizerSettings) ResumeSettings(ParseResult r, Model model, TrainingOptions given, OptimizerSettings givenSettings,
        Option<int> epochs, (Option Option, string Property)[] trainingOptions, Option[] optimizerOptions)
    {
        var saved = model.TrainingOptions ?? given;
        var savedSettings = model.OptimizerSettings
            ?? throw new CheckpointException(null, "Cannot resume: the model file holds no optimizer state; start anew from its weights instead.");
        foreach (var (option, property) in trainingOptions)
        {
            if (r.GetResult(option) is not { Implicit: false }) continue;
            var prop = typeof(TrainingOptions).GetProperty(property)!;
            object? a = prop.GetValue(saved), b = prop.GetValue(given);
            if (!Equals(a, b))
                throw new CommandLineException($"{option.Name} {b} differs from the checkpoint's {a}: a resumed run continues with the checkpoint's options (only --epochs may change); drop {option.Name}, or start anew with --init.");
        }
        foreach (var option in optimizerOptions)
            if (r.GetResult(option) is { Implicit: false } && givenSettings != savedSettings)
                throw new CommandLineException($"{option.Name} differs from the checkpoint's optimizer settings ({savedSettings}): a resumed run continues with them; drop {option.Name}, or start anew with --init.");
        var options = saved with { Epochs = r.GetResult(epochs) is { Implicit: false } ? given.Epochs : saved.Epochs };
        return (options, savedSettings);
    }

    private static bool Run(Model model, Dataset train, Dataset test, OptimizerSettings settings, TrainingOptions options,
        bool resume, CancellationToken token, IAnsiConsole console, EpochLog epochLog, Action<TrainingPosition> onCheckpoint)
    {
        if (!console.Profile.Capabilities.Interactive)
        {
            // Redirected output (a log, CI): no live bar, just one plain line per epoch.
            model.Fit(train, test, settings, options, onEpoch: e => { Console.Out.WriteLine(Format(e, markup: false)); epochLog.Add(e); },
                resume: resume, cancellation: token, onCheckpoint: onCheckpoint);
            return token.IsCancellationRequested;
        }
        bool cancelled = false;
        console.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
            .Start(ctx =>
            {
                ProgressTask? task = null;
                int currentEpoch = -1;
                model.Fit(train, test, settings, options,
                    onStep: p =>
                    {
                        if (p.Epoch != currentEpoch)
                        {
                            task?.StopTask();
                            task = ctx.AddTask($"epoch {p.Epoch}/{p.Epochs}", maxValue: p.StepsPerEpoch);
                            currentEpoch = p.Epoch;
                        }
                        task!.Value = p.Step;
                        task.Description = ProgressLine(p);
                    },
                    onEpoch: e =>
                    {
                        task?.StopTask();
                        console.MarkupLine(Format(e, markup: true));
                        epochLog.Add(e);
                    },
                    resume: resume, cancellation: token, onCheckpoint: onCheckpoint);
                cancelled = token.IsCancellationRequested;
            });
        return cancelled;
    }

    /// <summary>
    /// The live line: the epoch's mean loss so far (one batch's loss jumps from batch to batch), speed, and the one
    /// countdown, for the whole run.
    /// </summary>
    public static string ProgressLine(TrainingProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"epoch {p.Epoch}/{p.Epochs}  mean loss {p.MeanLoss:F4}  {p.ImagesPerSecond:F0} img/s  {p.Remaining:hh\\:mm\\:ss} left in all");

    /// <summary>"1 epoch", "2 epochs".</summary>
    public static string Plural(int n, string noun) => string.Create(CultureInfo.InvariantCulture, $"{n} {noun}{(n == 1 ? "" : "s")}");

    private static string Format(EpochResult e, bool markup)
    {
        string accuracy = string.Create(CultureInfo.InvariantCulture, $"{e.TestAccuracy * 100:F2}%");
        if (markup) accuracy = $"[bold]{accuracy}[/]";
        return string.Create(CultureInfo.InvariantCulture,
            $"epoch {e.Epoch,3}  lr {e.LearningRate:0.00000}  train loss {e.TrainLoss:F4} acc {e.TrainAccuracy * 100:F2}%  test loss {e.TestLoss:F4} acc {accuracy}  {e.ImagesPerSecond:F0} img/s  {e.Elapsed.TotalSeconds:F1} s");
    }

    private static int Positive(int v, string name) =>
        v >= 1 ? v : throw new CommandLineException($"{name} must be at least 1, got {v}.");
}
