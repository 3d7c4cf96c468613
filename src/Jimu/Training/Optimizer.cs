using Jimu.Kernels;
using Jimu.Layers;
using Jimu.Tensors;

namespace Jimu.Training;

/// <summary>
/// Updates parameters from their gradients. The state (momentum buffers, moment estimates, step count)
/// can be exported and restored so that a run resumes exactly where it stopped.
/// </summary>
public abstract class Optimizer
{
    /// <summary>An optimizer over named parameters with a learning rate.</summary>
    protected Optimizer(IReadOnlyList<(string Name, Parameter Parameter)> parameters, float learningRate)
    {
        Parameters = parameters;
        LearningRate = learningRate;
    }

    /// <summary>The named parameters it updates.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters { get; }

    /// <summary>The current learning rate; schedules change it between epochs.</summary>
    public float LearningRate
    {
        get;
        set
        {
            if (!(value >= 0) || float.IsInfinity(value)) throw new ArgumentOutOfRangeException(nameof(value), $"Learning rate must be a finite non-negative number, got {value}.");
            field = value;
        }
    }

    /// <summary>The threads the update runs on (a <see cref="Trainer"/> sets its network's); by default a one-thread context of its own.</summary>
    public ComputeContext Context
    {
        get => field ??= new ComputeContext(1);
        set => field = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Number of steps taken so far.</summary>
    public long Steps { get; protected set; }

    /// <summary>
    /// Applies one update from the current gradients, calling <see cref="Parameter.MarkChanged"/> on every parameter
    /// it writes (an optimizer of your own must too, or predictions may keep using what was derived from the old values).
    /// </summary>
    public abstract void Step();

    /// <summary>Which optimizer this is.</summary>
    public abstract OptimizerKind Kind { get; }

    /// <summary>Buffers keyed "param.buffer" (e.g. "fc1.weight.momentum_buffer"), for saving.</summary>
    public abstract IEnumerable<(string Name, Tensor Value)> State();

    /// <summary>Restores buffers saved by <see cref="State"/> and the step count.</summary>
    public abstract void LoadState(IReadOnlyDictionary<string, Tensor> state, long steps);

    /// <summary>Copies saved state <paramref name="key"/> into <paramref name="into"/>, checking its shape.</summary>
    protected static void RestoreBuffer(IReadOnlyDictionary<string, Tensor> state, string key, Tensor into)
    {
        if (!state.TryGetValue(key, out var t))
            throw new CheckpointException(null, $"Optimizer state has no '{key}': the file was saved by another optimizer or architecture; training cannot continue from it, only start anew from its weights.");
        if (!t.ShapeEquals(into.Shape))
            throw new CheckpointException(null, $"Optimizer state '{key}' has shape {t.ShapeString}, expected {into.ShapeString}.");
        into.CopyFrom(t);
    }

    /// <summary>Throws when a hyper-parameter is negative or NaN.</summary>
    protected static void CheckNonNegative(float value, string name)
    {
        if (!(value >= 0) || float.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, $"{name} must be a finite non-negative number, got {value}.");
    }
}
