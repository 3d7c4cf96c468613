using Jimu.Kernels;
using Jimu.Layers;
using Jimu.Tensors;

namespace Jimu.Training;

/// <summary>
/// Adam with exactly torch.optim.Adam's rule (L2 weight decay added to the gradient, not AdamW):
/// g = ∇ + λ·θ;  m = β₁m + (1−β₁)g;  v = β₂v + (1−β₂)g²;
/// θ −= (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).
/// </summary>
public sealed class Adam : Optimizer
{
    private readonly Tensor[] _m, _v;

    /// <summary>Adam over <paramref name="parameters"/> with torch.optim.Adam's defaults (β₁ 0.9, β₂ 0.999, ε 1e-8, no weight decay).</summary>
    public Adam(IReadOnlyList<(string Name, Parameter Parameter)> parameters, float learningRate = 1e-3f,
        double beta1 = 0.9, double beta2 = 0.999, float epsilon = 1e-8f, float weightDecay = 0f)
        : base(parameters, learningRate)
    {
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), $"beta1 must be in [0, 1), got {beta1}.");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), $"beta2 must be in [0, 1), got {beta2}.");
        CheckNonNegative(epsilon, "epsilon");
        CheckNonNegative(weightDecay, "weight decay");
        Beta1 = beta1; Beta2 = beta2; Epsilon = epsilon; WeightDecay = weightDecay;
        _m = parameters.Select(p => new Tensor(p.Parameter.Value.Shape.ToArray())).ToArray();
        _v = parameters.Select(p => new Tensor(p.Parameter.Value.Shape.ToArray())).ToArray();
    }

    // Double, as torch keeps them: 1 − β₂ from a float β₂ would be off by 1.3e-5 relative.
    /// <summary>Decay rate of the first-moment (mean) estimate, β₁.</summary>
    public double Beta1 { get; }
    /// <summary>Decay rate of the second-moment estimate, β₂.</summary>
    public double Beta2 { get; }
    /// <summary>ε added to √v̂ in the denominator.</summary>
    public float Epsilon { get; }
    /// <summary>L2 penalty added to the gradient (torch.optim.Adam's weight_decay, not AdamW's).</summary>
    public float WeightDecay { get; }
    /// <inheritdoc/>
    public override OptimizerKind Kind => OptimizerKind.Adam;

    /// <inheritdoc/>
    public override void Step()
    {
        Steps++;
        float b1 = (float)Beta1, b2 = (float)Beta2, eps = Epsilon;
        float c1 = (float)(1 - Beta1), c2 = (float)(1 - Beta2);
        float bias1 = (float)(1 - Math.Pow(Beta1, Steps));
        float bias2Sqrt = (float)Math.Sqrt(1 - Math.Pow(Beta2, Steps));
        float stepSize = LearningRate / bias1;
        for (int i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i].Parameter;
            var k = new AdamStep(b1, c1, b2, c2, bias2Sqrt, eps, stepSize, p.Decay ? WeightDecay : 0f);
            AdamKernel.Step(Context, p.Value.Data, p.Grad.Data, _m[i].Data, _v[i].Data, p.Value.Length, k);
            p.MarkChanged();
        }
    }

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Tensor Value)> State()
    {
        for (int i = 0; i < Parameters.Count; i++)
        {
            yield return ($"{Parameters[i].Name}.exp_avg", _m[i]);
            yield return ($"{Parameters[i].Name}.exp_avg_sq", _v[i]);
        }
    }

    /// <inheritdoc/>
    public override void LoadState(IReadOnlyDictionary<string, Tensor> state, long steps)
    {
        if (steps > 0)
            for (int i = 0; i < Parameters.Count; i++)
            {
                RestoreBuffer(state, $"{Parameters[i].Name}.exp_avg", _m[i]);
                RestoreBuffer(state, $"{Parameters[i].Name}.exp_avg_sq", _v[i]);
            }
        Steps = steps;
    }
}
