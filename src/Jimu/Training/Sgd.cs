using Jimu.Kernels;
using Jimu.Layers;
using Jimu.Tensors;

namespace Jimu.Training;

/// <summary>
/// Stochastic gradient descent with exactly torch.optim.SGD's rule (dampening 0):
/// g = ∇ + λ·θ;  b = g on the first step, else b = μ·b + g;  g = g + μ·b (Nesterov) or b;  θ −= lr·g.
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly Tensor[] _momentum;

    /// <summary>torch.optim.SGD over <paramref name="parameters"/>.</summary>
    public Sgd(IReadOnlyList<(string Name, Parameter Parameter)> parameters, float learningRate,
        float momentum = 0f, float weightDecay = 0f, bool nesterov = false)
        : base(parameters, learningRate)
    {
        CheckNonNegative(momentum, "momentum");
        CheckNonNegative(weightDecay, "weight decay");
        if (nesterov && momentum == 0f) throw new ArgumentException("Nesterov momentum requires a momentum greater than 0.");
        Momentum = momentum; WeightDecay = weightDecay; Nesterov = nesterov;
        _momentum = parameters.Select(p => new Tensor(p.Parameter.Value.Shape.ToArray())).ToArray();
    }

    /// <summary>Momentum (0: plain SGD).</summary>
    public float Momentum { get; }
    /// <summary>L2 weight decay added to the gradient.</summary>
    public float WeightDecay { get; }
    /// <summary>Whether the momentum is Nesterov's.</summary>
    public bool Nesterov { get; }
    /// <inheritdoc/>
    public override OptimizerKind Kind => OptimizerKind.Sgd;

    /// <inheritdoc/>
    public override void Step()
    {
        var decayed = new SgdStep(LearningRate, Momentum, WeightDecay, Nesterov, First: Steps == 0);
        var plain = decayed with { WeightDecay = 0f };
        for (int i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i].Parameter;
            SgdKernel.Step(Context, p.Value.Data, p.Grad.Data, _momentum[i].Data, p.Value.Length, p.Decay ? decayed : plain);
            p.MarkChanged();
        }
        Steps++;
    }

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Tensor Value)> State()
    {
        if (Momentum == 0f) yield break;
        for (int i = 0; i < Parameters.Count; i++) yield return ($"{Parameters[i].Name}.momentum_buffer", _momentum[i]);
    }

    /// <inheritdoc/>
    public override void LoadState(IReadOnlyDictionary<string, Tensor> state, long steps)
    {
        if (Momentum != 0f && steps > 0)
            for (int i = 0; i < Parameters.Count; i++) RestoreBuffer(state, $"{Parameters[i].Name}.momentum_buffer", _momentum[i]);
        Steps = steps;
    }
}
