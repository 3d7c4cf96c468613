using System.Diagnostics;
using Jimu.Data;
using Jimu.Layers;
using Jimu.Losses;
using Jimu.Models;
using Jimu.Tensors;

namespace Jimu.Training;

/// <summary>
/// Mini-batch training with softmax cross-entropy: for each epoch, set the learning rate from the schedule,
/// shuffle (seeded per epoch), and for each batch reseed the random consumers from the position (dropout,
/// augmentation), forward → loss → backward → optimizer step; then evaluate on the test set. The data order and
/// every random draw depend only on the seed and the position, so a run resumed at any step continues exactly.
/// </summary>
public sealed class Trainer
{
    private readonly Sequential _model;
    private readonly Optimizer _optimizer;
    private readonly TrainingOptions _options;
    private readonly SoftmaxCrossEntropy _loss = new();
    private readonly float _baseRate;
    private Tensor? _batch;
    private int[] _batchLabels = [];
    private SplitMix64 _augment;
    private float[] _image = [];
    private int[] _batchShape = [];

    /// <summary>A trainer of <paramref name="model"/> with <paramref name="optimizer"/>. Single caller: one thread trains, and nothing else uses the network meanwhile.</summary>
    public Trainer(Sequential model, Optimizer optimizer, TrainingOptions options)
    {
        options.Validate();
        _model = model; _optimizer = optimizer; _options = options;
        optimizer.Context = model.Context;
        _baseRate = optimizer.LearningRate;
    }

    /// <summary>True when the last <see cref="Fit"/> stopped early because it was cancelled.</summary>
    public bool Cancelled { get; private set; }

    /// <summary>Epochs completed, counting those before <see cref="TrainingOptions.Start"/>.</summary>
    public int EpochsCompleted => Position.Epoch;

    /// <summary>Where the run is: after the last completed step (what a checkpoint taken now would hold).</summary>
    public TrainingPosition Position { get; private set; } = TrainingPosition.Start;

    /// <summary>
    /// Trains from <see cref="TrainingOptions.Start"/> to the end of <see cref="TrainingOptions.Epochs"/>.
    /// <paramref name="onCheckpoint"/> is called every <see cref="TrainingOptions.CheckpointEvery"/> optimizer steps
    /// and after every epoch (after <paramref name="onEpoch"/>), with the position the model and optimizer are at.
    /// Cancellation is honoured between steps: the model is then exactly at <see cref="Position"/>.
    /// </summary>
    public IReadOnlyList<EpochResult> Fit(Dataset train, Dataset? test = null,
        Action<TrainingProgress>? onStep = null, Action<EpochResult>? onEpoch = null,
        CancellationToken cancellation = default, Action<TrainingPosition>? onCheckpoint = null)
    {
        CheckFits(train, "training");
        if (test is not null) CheckFits(test, "test");
        var history = new List<EpochResult>();
        Cancelled = false;
        int n = train.Count, batchSize = Math.Min(_options.BatchSize, Math.Max(n, 1));
        int steps = (n + batchSize - 1) / batchSize;
        CheckBatchNormBatches(n, batchSize);
        var start = _options.Start;
        if (start.Step >= steps || start.Seen > n)
            throw new CheckpointException(null, $"Cannot resume {start.Describe(steps)}: an epoch of this training set has only {steps} steps of {batchSize}; resume with the data the checkpoint was trained on.");
        Position = start;
        var order = new int[n];
        _batchLabels = new int[batchSize];

        for (int epoch = start.Epoch; epoch < _options.Epochs; epoch++)
        {
            _optimizer.LearningRate = _options.Schedule.At(_baseRate, epoch, _options.Epochs);
            Order(order, epoch);
            _model.Training = true;
            var clock = Stopwatch.StartNew();
            // A resumed epoch continues the running sums, so it reports what the uninterrupted epoch reports.
            bool resumed = epoch == start.Epoch;
            double lossSum = resumed ? start.LossSum : 0; long correct = resumed ? start.Correct : 0;
            int seen = resumed ? start.Seen : 0, seenHere = 0;
            for (int s = resumed ? start.Step : 0; s < steps; s++)
            {
                if (cancellation.IsCancellationRequested) { Cancelled = true; return history; }
                ReseedStep(epoch, s);
                int begin = s * batchSize, count = Math.Min(batchSize, n - begin);
                var x = Gather(train, order.AsSpan(begin, count));
                var labels = _batchLabels.AsSpan(0, count);
                var logits = _model.Forward(x);
                double loss = _loss.Forward(logits, labels);
                if (!double.IsFinite(loss))
                    throw Diverged(epoch, $"the loss became {loss}", s);
                correct += Metrics.CountCorrect(logits, labels);
                _model.Backward(_loss.Backward());
                _optimizer.Step();
                lossSum += loss * count; seen += count; seenHere += count;
                Position = new TrainingPosition(epoch, s + 1, lossSum, correct, seen);
                if (onStep is not null)
                {
                    double rate = seenHere / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                    long left = (long)(n - seen) + (long)(_options.Epochs - epoch - 1) * n;
                    onStep(new TrainingProgress(epoch + 1, _options.Epochs, s + 1, steps, loss, lossSum / seen, rate, TimeSpan.FromSeconds(left / rate)));
                }
                // The last step of an epoch is checkpointed after the epoch's evaluation, as the epoch's end.
                if (onCheckpoint is not null && _options.CheckpointEvery > 0 && s + 1 < steps && _optimizer.Steps % _options.CheckpointEvery == 0)
                    onCheckpoint(Position);
            }
            double trainSeconds = clock.Elapsed.TotalSeconds;
            // The last step's update is not seen by any training loss: check the weights and the test loss too.
            if (!WeightsFinite())
                throw Diverged(epoch, "the weights became infinite or NaN");
            var eval = test is null ? null : Evaluator.Evaluate(_model, test, Math.Max(batchSize, 256), _options.Normalization);
            if (eval is not null && !double.IsFinite(eval.Loss))
                throw Diverged(epoch, $"the test loss became {eval.Loss}");
            var result = new EpochResult(epoch + 1, _optimizer.LearningRate, lossSum / seen, (double)correct / seen,
                eval?.Loss ?? double.NaN, eval?.Accuracy ?? double.NaN, clock.Elapsed, seenHere / trainSeconds);
            history.Add(result);
            Position = new TrainingPosition(epoch + 1, 0);
            onEpoch?.Invoke(result);
            onCheckpoint?.Invoke(Position);
        }
        _model.Training = false;
        return history;
    }

    private static TrainingDivergedException Diverged(int epoch, string what, int? step = null) =>
        new(epoch + 1, step + 1, $"Training diverged at epoch {epoch + 1}{(step is { } s ? $", step {s + 1}" : "")}: {what}. Lower the learning rate or check the data; nothing from this run was saved.");

    private bool WeightsFinite()
    {
        foreach (var (_, p) in _model.Parameters)
            foreach (float v in p.Value.Span)
                if (!float.IsFinite(v)) return false;
        return true;
    }

    private void CheckFits(Dataset data, string which)
    {
        if (data.Count == 0) throw new DataFormatException(data.Name, $"{data.Name}: the {which} set is empty.");
        var sample = data.SampleShape;
        if (!sample.SequenceEqual(_model.InputShape))
            throw new DataMismatchException($"the {which} set", Tensor.Format(_model.InputShape), Tensor.Format(sample),
                $"The {which} images have shape {Tensor.Format(sample)} but the model expects {Tensor.Format(_model.InputShape)}.");
        int classes = _model.OutputShape[^1];
        foreach (int label in data.Labels)
            if ((uint)label >= (uint)classes)
                throw LabelOutOfRange($"the {which} set", label, classes);
    }

    /// <summary>
    /// A BatchNorm that would see one value per channel (BatchNorm1d after a flatten, given a batch of one image)
    /// cannot compute a variance: refuse a batch size that makes such a batch (of one, or a last batch of one) before
    /// the first step, instead of failing at the end of an epoch. A <see cref="SettingException"/> ("batch size").
    /// </summary>
    private void CheckBatchNormBatches(int n, int batchSize)
    {
        if (batchSize >= 2 && n % batchSize != 1) return;
        int[] shape = [1, .. _model.InputShape];
        foreach (var layer in _model.Layers)
        {
            if (layer is BatchNorm bn && Tensor.Count(shape) / bn.Channels < 2)
            {
                string why = batchSize == 1 || n == 1
                    ? $"a batch of one image gives {bn.GetType().Name} '{bn.Name}' one value per channel, and it needs more than one in training"
                    : $"{n:N0} training images in batches of {batchSize} leave a last batch of one image, which gives {bn.GetType().Name} '{bn.Name}' one value per channel, and it needs more than one in training";
                int better = batchSize + 1;
                while (n % better == 1 && better < n) better++;
                string fix = n < 2 ? "train on at least 2 images" : $"use a batch size of {(batchSize == 1 ? "at least 2" : better.ToString(System.Globalization.CultureInfo.InvariantCulture))}";
                throw new SettingException("batch size", batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{char.ToUpperInvariant(why[0])}{why[1..]}; {fix}.");
            }
            shape = layer.OutputShape(shape);
        }
    }

    /// <summary>A label the model has no output for: <see cref="DataMismatchException"/> with the outputs and the label.</summary>
    internal static DataMismatchException LabelOutOfRange(string where, int label, int classes) =>
        new(where, $"labels 0–{classes - 1}", $"label {label}",
            $"{char.ToUpperInvariant(where[0])}{where[1..]} has label {label} but the model has only {classes} outputs (labels 0–{classes - 1}); use data with the model's classes.");

    private void Order(int[] order, int epoch)
    {
        for (int i = 0; i < order.Length; i++) order[i] = i;
        if (!_options.Shuffle) return;
        // One generator per epoch: a resumed run shuffles exactly as an uninterrupted one.
        var rng = new Random(Seeds.Derive(_options.Seed, epoch, Seeds.ShuffleStream));
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    /// <summary>Seeds every random consumer of step <paramref name="step"/> from the position alone (see <see cref="Seeds"/>).</summary>
    private void ReseedStep(int epoch, int step)
    {
        for (int i = 0; i < _model.Layers.Count; i++)
            if (_model.Layers[i] is Dropout d) d.Reseed(Seeds.ForStep(_options.Seed, epoch, step, Seeds.DropoutStream + i));
        _augment = new SplitMix64(Seeds.ForStep(_options.Seed, epoch, step, Seeds.AugmentStream));
    }

    /// <summary>The batch of <paramref name="indices"/>: each image copied, augmented (training only), then normalised.</summary>
    private Tensor Gather(Dataset data, ReadOnlySpan<int> indices)
    {
        int per = data.SampleLength;
        if (_batchShape.Length == 0) _batchShape = [0, .. _model.InputShape];
        _batchShape[0] = indices.Length;
        var x = Tensor.Ensure(ref _batch, _batchShape);
        if (_image.Length < per) _image = new float[per];
        for (int b = 0; b < indices.Length; b++)
        {
            var dst = x.Data.AsSpan(b * per, per);
            if (!_options.Augments) data.CopyImage(indices[b], dst);
            else
            {
                data.CopyImage(indices[b], _image);
                Augmentation.Apply(_image.AsSpan(0, per), dst, _model.InputShape, _options.MaxShift, _options.CropPadding, _options.Flip, ref _augment);
            }
            _batchLabels[b] = data.Labels[indices[b]];
        }
        _options.Normalization?.Apply(x);
        return x;
    }
}
