using Jimu.Data;
using Jimu.IO;
using Jimu.Losses;
using Jimu.Tensors;
using Jimu.Training;

namespace Jimu.Models;

/// <summary>
/// A trainable classifier: an <see cref="Models.Architecture"/>, the <see cref="Sequential"/> network built from it,
/// and the optimizer state once trained. Train with <see cref="Fit"/>, then <see cref="Evaluate"/>,
/// <see cref="Predict"/>, <see cref="Save"/> and <see cref="Load"/>.
/// </summary>
public sealed class Model
{
    private Optimizer? _optimizer;
    private OptimizerSettings? _settings;
    private Tensor? _input, _probabilities;

    private Model(Architecture architecture, Sequential network)
    {
        Architecture = architecture;
        Network = network;
    }

    public Architecture Architecture { get; }
    public Sequential Network { get; }
    /// <summary>Epochs trained so far (restored by <see cref="Load"/> when the file holds optimizer state).</summary>
    public int EpochsTrained { get; private set; }

    /// <summary>Builds <paramref name="architecture"/> with PyTorch's default initialisation drawn from <paramref name="seed"/>.</summary>
    public static Model Create(Architecture architecture, int seed = 1)
    {
        var model = new Model(architecture, architecture.Build());
        Initializer.Initialize(model.Network, seed);
        return model;
    }

    /// <summary>Loads weights (and optimizer state, if saved) from a .safetensors file.</summary>
    public static Model Load(string path, Architecture? architecture = null)
    {
        var c = ModelFile.Load(path, architecture);
        var model = new Model(c.Architecture, c.Network);
        if (c.Optimizer is { } s)
        {
            model._settings = s.Settings;
            model._optimizer = s.Settings.Create(model.Network.Parameters);
            model._optimizer.LoadState(s.Buffers, s.Steps);
            model.EpochsTrained = s.Epoch;
        }
        return model;
    }

    /// <summary>
    /// A model of <paramref name="architecture"/> with the given weights: every parameter by its name ("conv1.weight"),
    /// shapes checked, nothing else allowed; no optimizer state. <paramref name="source"/> names them in errors.
    /// </summary>
    public static Model FromWeights(Architecture architecture, IReadOnlyDictionary<string, Tensor> weights, string source = "weights")
    {
        var network = architecture.Build();
        ModelFile.LoadWeights(source, weights, network);
        return new Model(architecture, network);
    }

    /// <summary>Saves weights, architecture and optimizer state atomically.</summary>
    public void Save(string path) => ModelFile.Save(path, Architecture, Network, _optimizer, _settings, EpochsTrained);

    /// <summary>Copies the weights of another model file into this model (same architecture required).</summary>
    public void LoadWeightsFrom(string path) =>
        ModelFile.LoadWeights(path, SafeTensors.Read(path).Tensors, Network);

    /// <summary>
    /// Trains for <see cref="TrainingOptions.Epochs"/> epochs in total. With <paramref name="resume"/>, continues
    /// with the saved optimizer state from the epoch after the last one trained; otherwise starts a new optimizer.
    /// </summary>
    public IReadOnlyList<EpochResult> Fit(Dataset train, Dataset? test, OptimizerSettings optimizer, TrainingOptions options,
        Action<TrainingProgress>? onStep = null, Action<EpochResult>? onEpoch = null, bool resume = false,
        CancellationToken cancellation = default)
    {
        if (resume)
        {
            if (_optimizer is null || _settings is null)
                throw new JimuException("Cannot resume: the model file holds no optimizer state; use --init to start from its weights instead.");
            options = options with { StartEpoch = EpochsTrained };
            _optimizer.LearningRate = optimizer.LearningRate;
        }
        else
        {
            _settings = optimizer;
            _optimizer = optimizer.Create(Network.Parameters);
            EpochsTrained = 0;
        }
        var trainer = new Trainer(Network, _optimizer, options);
        try
        {
            return trainer.Fit(train, test, onStep, onEpoch, cancellation);
        }
        finally
        {
            EpochsTrained = trainer.EpochsCompleted;
            Network.Training = false;
        }
    }

    public Evaluation Evaluate(Dataset data, int batchSize = 256) => Evaluator.Evaluate(Network, data, batchSize);

    /// <summary>Classifies images [N, C, H, W] in evaluation mode.</summary>
    public Prediction[] Predict(Tensor images, int batchSize = 256)
    {
        Network.Training = false;
        int n = images.Dim(0), per = images.Length / Math.Max(n, 1);
        var result = new Prediction[n];
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            var x = Tensor.Ensure(ref _input, [count, .. images.Shape[1..]]);
            images.Data.AsSpan(start * per, count * per).CopyTo(x.Span);
            var logits = Network.Forward(x);
            int k = logits.Length / count;
            var probabilities = Tensor.Ensure(ref _probabilities, count, k);
            SoftmaxCrossEntropy.Softmax(logits, probabilities);
            for (int i = 0; i < count; i++)
            {
                var l = logits.Data.AsSpan(i * k, k).ToArray();
                var p = probabilities.Data.AsSpan(i * k, k).ToArray();
                int best = Metrics.ArgMax(p);
                result[start + i] = new Prediction(best, p[best], l, p);
            }
        }
        return result;
    }
}
