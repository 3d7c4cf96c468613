using Jimu.Data;
using Jimu.IO;
using Jimu.Kernels;
using Jimu.Losses;
using Jimu.Tensors;
using Jimu.Training;

namespace Jimu.Models;

/// <summary>
/// A trainable classifier: an <see cref="Models.Architecture"/>, the <see cref="Sequential"/> network built from it,
/// and the optimizer state once trained. Train with <see cref="Fit"/>, then <see cref="Evaluate"/>,
/// <see cref="Predict"/>, <see cref="Save"/> and <see cref="Load(string, Architecture?)"/>.
/// The model owns the threads its kernels run on (<see cref="Threads"/>, every core by default): dispose it to end them.
/// </summary>
public sealed class Model : IDisposable
{
    private ComputeContext _context = new(Environment.ProcessorCount);
    private Optimizer? _optimizer;
    private OptimizerSettings? _settings;
    // Inference copies of Network, one per concurrent caller of Predict or Evaluate (see Sequential.ShareWeightsWith),
    // with BatchNorm folded into the convolution before it; Inspect's keep every layer (it shows each conv's output).
    private readonly System.Collections.Concurrent.ConcurrentBag<Inference> _inference = [], _inspection = [];

    /// <summary>
    /// One caller's network for inference (weights shared with <see cref="Network"/>, or folded from them) and its
    /// buffers. Its context is a fork of the model's: the same workers (a lone caller gets every thread; concurrent
    /// callers whose jobs find the workers busy run them on their own thread, split the same way, so with the same
    /// numbers) and its own scratch.
    /// </summary>
    private sealed class Inference(Sequential network, BatchNormFolding? folding = null)
    {
        public readonly Sequential Network = network;
        public readonly BatchNormFolding? Folding = folding;
        public Tensor? Input, Probabilities;
    }

    private Model(Architecture architecture, Sequential network)
    {
        Architecture = architecture;
        Network = network;
        Network.Context = _context;
    }

    /// <summary>
    /// Threads the model's kernels split work over, in training and inference (at least 1; default: every core).
    /// The numbers depend only on it: set it before training or predicting, not while a call runs.
    /// </summary>
    public int Threads
    {
        get => _context.Threads;
        set
        {
            if (value == _context.Threads) return;
            var old = _context;
            _context = new ComputeContext(value); // throws for value < 1, leaving the model as it was
            Network.Context = _context;
            _inference.Clear(); // their contexts were forks of the old one
            _inspection.Clear();
            old.Dispose();
        }
    }

    /// <summary>Ends the model's worker threads. A disposed model still works, on one thread per caller.</summary>
    public void Dispose() => _context.Dispose();

    /// <summary>What the network is built from; saved with the model.</summary>
    public Architecture Architecture { get; }
    /// <summary>The network itself: layers, parameters, forward and backward.</summary>
    public Sequential Network { get; }

    /// <summary>Class names (index = class), or null when unknown. <see cref="Fit"/> takes them from the training set when it has them.</summary>
    public IReadOnlyList<string>? Classes
    {
        get;
        set
        {
            if (value is not null && value.Count != Network.OutputShape[^1])
                throw new SettingException("class names", value.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{value.Count} class names given but the model has {Network.OutputShape[^1]} outputs.");
            field = value;
        }
    }

    /// <summary>
    /// Per-channel normalisation applied to [0, 1] pixels before the network, in training, <see cref="Evaluate"/> and
    /// <see cref="Predict"/> alike; null: none. Set it before <see cref="Fit"/> (for example
    /// <see cref="Normalization.Compute"/> of the training set); it is saved with the model.
    /// </summary>
    public Normalization? Normalization
    {
        get;
        set
        {
            if (value is not null && value.Channels != Network.InputShape[0])
                throw new SettingException("normalization", value.ToString() ?? "", $"The normalization has {value.Channels} channel(s) but the model takes {Network.InputShape[0]}.");
            field = value;
        }
    }

    /// <summary>What the model was trained on (recorded by <see cref="Fit"/> unless already set); null when unknown.</summary>
    public DataDescription? TrainedOn { get; set; }

    /// <summary>The name of class <paramref name="index"/>, or the index as text when the classes are unknown.</summary>
    public string LabelOf(int index) =>
        Classes is { } c && (uint)index < (uint)c.Count ? c[index] : index.ToString(System.Globalization.CultureInfo.InvariantCulture);
    /// <summary>Complete epochs trained so far (restored by <see cref="Load(string, Architecture?)"/> when the file holds optimizer state).</summary>
    public int EpochsTrained => Position.Epoch;
    /// <summary>Where training stands: the epoch and the step inside it (restored from a checkpoint).</summary>
    public TrainingPosition Position { get; private set; } = TrainingPosition.Start;
    /// <summary>The options of the run that trained this model (stored in checkpoints; null for untrained models and older files).</summary>
    public TrainingOptions? TrainingOptions { get; private set; }
    /// <summary>The optimizer settings of that run, null when the file holds no optimizer state.</summary>
    public OptimizerSettings? OptimizerSettings => _settings;
    /// <summary>Optimizer steps taken so far.</summary>
    public long Steps => _optimizer?.Steps ?? 0;

    /// <summary>Builds <paramref name="architecture"/> with PyTorch's default initialisation drawn from <paramref name="seed"/>.</summary>
    public static Model Create(Architecture architecture, int seed = 1)
    {
        var model = new Model(architecture, architecture.Build());
        Initializer.Initialize(model.Network, seed);
        return model;
    }

    /// <summary>Loads weights (and optimizer and training state, if saved) from a .safetensors file.</summary>
    public static Model Load(string path, Architecture? architecture = null) => From(ModelFile.Load(path, architecture), path);

    /// <summary>Loads a model file from <paramref name="stream"/>; <paramref name="name"/> names it in errors.</summary>
    public static Model FromStream(Stream stream, string name, Architecture? architecture) =>
        From(ModelFile.FromStream(stream, name, architecture), name);

    private static Model From(ModelFile.Contents c, string name)
    {
        var model = new Model(c.Architecture, c.Network)
        {
            Classes = c.Data.Classes,
            Normalization = c.Data.Normalization,
            TrainedOn = c.Data.TrainedOn,
        };
        if (c.Optimizer is { } s)
        {
            if (s.Steps < 0 || s.Epoch < 0)
                throw new CheckpointException(name, $"{name}: the stored optimizer state says {s.Steps} steps and epoch {s.Epoch}; the file is damaged, so training cannot continue from it, only start anew from its weights.");
            model._settings = s.Settings;
            try { model._optimizer = s.Settings.Create(model.Network.Parameters); }
            catch (SettingException e) { throw new CheckpointException(name, $"{name}: the stored optimizer settings are invalid ({e.Message}); training cannot continue from them, only start anew from the file's weights.", e); }
            try { model._optimizer.LoadState(s.Buffers, s.Steps); }
            catch (JimuException e) when (e is not CheckpointException) { throw new CheckpointException(name, $"{name}: {e.Message}", e); }
            model.Position = c.Training?.Position ?? new TrainingPosition(s.Epoch, 0);
            model.TrainingOptions = c.Training?.Options;
        }
        return model;
    }

    /// <summary>
    /// A model of <paramref name="architecture"/> with the given weights: every parameter by its name ("conv1.weight"),
    /// and every buffer ("bn1.running_mean"; int64 buffers exactly from <paramref name="int64"/> when given), shapes
    /// checked, nothing else allowed; no optimizer state. <paramref name="source"/> names them in errors.
    /// </summary>
    public static Model FromWeights(Architecture architecture, IReadOnlyDictionary<string, Tensor> weights, string source = "weights",
        IReadOnlyDictionary<string, Int64Tensor>? int64 = null)
    {
        var network = architecture.Build();
        ModelFile.LoadWeights(source, weights, network, int64);
        return new Model(architecture, network);
    }

    /// <summary>Saves weights, buffers, architecture, data metadata, optimizer and training state atomically: a checkpoint to resume from.</summary>
    public void Save(string path) =>
        ModelFile.Save(path, Architecture, Network, _optimizer, _settings,
            TrainingOptions is null ? null : new ModelFile.TrainingState(TrainingOptions, Position),
            new ModelFile.DataMetadata(Classes, Normalization, TrainedOn));

    /// <summary>Copies the weights of another model file into this model (same architecture required).</summary>
    public void LoadWeightsFrom(string path) =>
        ModelFile.LoadWeights(path, SafeTensors.Read(path).Tensors, Network);

    /// <summary>
    /// Trains for <see cref="TrainingOptions.Epochs"/> epochs in total. With <paramref name="resume"/>, continues
    /// with the saved optimizer state from the saved <see cref="Position"/> (the step inside the epoch), with the
    /// same options and settings (a different one is an error: the continuation would not be the same run);
    /// otherwise starts a new optimizer. <paramref name="onCheckpoint"/> is called every
    /// <see cref="TrainingOptions.CheckpointEvery"/> steps and after every epoch, when <see cref="Save"/> would
    /// write a checkpoint of exactly that position. Single caller: one thread trains, on the model's
    /// <see cref="Threads"/>, and nothing predicts on the model meanwhile.
    /// </summary>
    public IReadOnlyList<EpochResult> Fit(Dataset train, Dataset? test, OptimizerSettings optimizer, TrainingOptions options,
        Action<TrainingProgress>? onStep = null, Action<EpochResult>? onEpoch = null, bool resume = false,
        CancellationToken cancellation = default, Action<TrainingPosition>? onCheckpoint = null)
    {
        RequireClassifier();
        if (resume)
        {
            if (_optimizer is null || _settings is null)
                throw new CheckpointException(null, "Cannot resume: the model file holds no optimizer state; start anew from its weights instead.");
            if (optimizer != _settings)
                throw new CheckpointException(null, $"Cannot resume with different optimizer settings: the checkpoint has {_settings}, given {optimizer}; resume with the checkpoint's settings or start anew from its weights.");
            if (TrainingOptions is { } saved && Comparable(saved) != Comparable(options))
                throw new CheckpointException(null, $"Cannot resume with different training options: the checkpoint has {Comparable(saved)}, given {Comparable(options)}; only the number of epochs may change. Resume with the checkpoint's options or start anew from its weights.");
            options = options with { Start = Position };
            _optimizer.LearningRate = _settings.LearningRate;
        }
        else
        {
            _settings = optimizer;
            _optimizer = optimizer.Create(Network.Parameters);
            Position = TrainingPosition.Start;
            options = options with { Start = TrainingPosition.Start };
        }
        if (train.ClassNames is { } names && Classes is null && names.Count == Network.OutputShape[^1]) Classes = names;
        TrainedOn ??= DataDescription.Of(train, test);
        // The normalisation is the model's (saved as jimu.normalization), not the run's.
        TrainingOptions = options with { Start = TrainingPosition.Start, CheckpointEvery = 0, Normalization = null };
        var trainer = new Trainer(Network, _optimizer, options with { Normalization = Normalization });
        try
        {
            return trainer.Fit(train, test, onStep, onEpoch, cancellation, p =>
            {
                Position = p;
                onCheckpoint?.Invoke(p);
            });
        }
        finally
        {
            Position = trainer.Position;
            Network.Training = false;
        }
    }

    /// <summary>The options that must match for a resumed run to continue the same run (all but the epoch count).</summary>
    private static string Comparable(TrainingOptions o) =>
        System.Text.Json.JsonSerializer.Serialize(o with { Epochs = 0, Start = TrainingPosition.Start, CheckpointEvery = 0, Normalization = null }, IO.JimuJsonContext.Default.TrainingOptions);

    /// <summary>
    /// Loss, accuracy and confusion matrix on <paramref name="data"/> (pixels in [0, 1]; the model's <see cref="Normalization"/> is applied).
    /// Safe to call from several threads at once, as <see cref="Predict"/> is.
    /// </summary>
    public Evaluation Evaluate(Dataset data, int batchSize = 256)
    {
        RequireClassifier();
        var inference = Rent();
        try { return Evaluator.Evaluate(inference.Network, data, batchSize, Normalization); }
        finally { _inference.Add(inference); }
    }

    /// <summary>
    /// Classifies images [N, C, H, W] with pixels in [0, 1] in evaluation mode (the model's <see cref="Normalization"/> is applied).
    /// Safe to call from many threads at once on one model: each concurrent caller runs its own inference copy of
    /// the network, whose weights are this model's (no copy), and gets exactly the numbers a lone call gets.
    /// Training (<see cref="Fit"/>) is single-caller: do not predict while it runs. Runs on <see cref="Threads"/> threads.
    /// Images of another shape than the model's input are refused before any work (<see cref="ShapeException"/>);
    /// <see cref="DataCheck.CheckImages"/> also warns about pixels that cannot be what the model expects.
    /// </summary>
    public Prediction[] Predict(Tensor images, int batchSize = 256)
    {
        DataCheck.CheckShape(this, images, "images");
        RequireClassifier();
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"Batch size must be at least 1, got {batchSize}.");
        var inference = Rent();
        try { return Run(inference, images, batchSize); }
        finally { _inference.Add(inference); }
    }

    /// <summary>
    /// Runs one image [C, H, W] (pixels in [0, 1]; the model's <see cref="Normalization"/> is applied) and keeps
    /// the first convolution's filters and every convolution's output: pictures of what the network sees.
    /// Safe to call from several threads at once, as <see cref="Predict"/> is.
    /// </summary>
    public Inspection Inspect(ReadOnlySpan<float> image)
    {
        if (image.Length != Tensor.Count(Network.InputShape))
            throw new ShapeException("Model.Inspect", "image", [Tensor.Count(Network.InputShape)], [image.Length], $"one image of {Tensor.Format(Network.InputShape)}, flat");
        var inference = _inspection.TryTake(out var idle) ? idle : new Inference(Twin());
        try
        {
            var x = Tensor.Ensure(ref inference.Input, [1, .. Network.InputShape]);
            image.CopyTo(x.Span);
            Normalization?.Apply(x);
            return Inspection.Run(inference.Network, x, LabelOf);
        }
        finally { _inspection.Add(inference); }
    }

    /// <summary>
    /// Training, evaluation and prediction classify: the network must give one score per class ([classes]). A network
    /// ending in a conv (outputs [C, H, W]; an imported ONNX graph can be any network) would reach the loss or the
    /// softmax as a tensor of the wrong shape: an <see cref="ArchitectureException"/> naming the last layer instead.
    /// </summary>
    internal void RequireClassifier()
    {
        if (Network.OutputShape.Length != 1)
            throw new ArchitectureException($"Architecture '{Architecture.Name}' gives each image outputs of shape {Tensor.Format(Network.OutputShape)}, "
                + "but a classifier needs one score per class ([classes]); end it with a flatten (or global average pooling) and a linear layer.",
                Network.Layers.Count - 1);
    }

    /// <summary>
    /// An idle inference copy, or a new one when every copy is in use, its folded BatchNorms recomputed from the
    /// current weights where their versions changed (a copy-and-scale pass over the folded layer's weights: for
    /// mnist-tf-bn's 3136×512 linear layer 1.6 M floats, more than a one-image forward pass, so only then), so that
    /// training, loading or a write to <see cref="Network"/> followed by <see cref="Layers.Parameter.MarkChanged"/>
    /// between calls shows through.
    /// </summary>
    private Inference Rent()
    {
        if (!_inference.TryTake(out var inference))
        {
            var folding = BatchNormFolding.Build(Architecture, Network);
            folding.Network.Context = _context.Fork();
            inference = folding.Folded ? new Inference(folding.Network, folding) : new Inference(folding.Network);
        }
        inference.Folding?.Refresh();
        return inference;
    }

    /// <summary>A network that computes what <see cref="Network"/> computes in evaluation, every layer kept, sharing its weights.</summary>
    private Sequential Twin()
    {
        var twin = Architecture.Build();
        Network.ShareWeightsWith(twin);
        twin.Context = _context.Fork();
        return twin;
    }

    private Prediction[] Run(Inference inference, Tensor images, int batchSize)
    {
        var network = inference.Network;
        int n = images.Dim(0), per = images.Length / Math.Max(n, 1);
        var result = new Prediction[n];
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            var x = Tensor.Ensure(ref inference.Input, [count, .. images.Shape[1..]]);
            images.Data.AsSpan(start * per, count * per).CopyTo(x.Span);
            Normalization?.Apply(x);
            var logits = network.Forward(x);
            int k = logits.Length / count;
            var probabilities = Tensor.Ensure(ref inference.Probabilities, count, k);
            SoftmaxCrossEntropy.Softmax(logits, probabilities);
            for (int i = 0; i < count; i++)
            {
                var l = logits.Data.AsSpan(i * k, k).ToArray();
                var p = probabilities.Data.AsSpan(i * k, k).ToArray();
                int best = Metrics.ArgMax(p);
                result[start + i] = new Prediction(best, p[best], l, p, LabelOf(best));
            }
        }
        return result;
    }
}
