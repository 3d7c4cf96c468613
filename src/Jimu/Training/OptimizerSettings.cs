using System.Text.Json.Serialization;
using Jimu.Layers;
using Jimu.Models;

namespace Jimu.Training;

/// <summary>
/// An optimizer's kind and hyper-parameters, as chosen on the command line and stored in model files. The defaults
/// are constructor parameters, so that a stored file that lacks a field reads back with the default, not zero.
/// </summary>
/// <param name="Kind">The optimizer (SGD); JSON "sgd" or "adam".</param>
/// <param name="LearningRate">The base learning rate (0.01).</param>
/// <param name="Momentum">SGD momentum (0).</param>
/// <param name="Nesterov">SGD with Nesterov momentum (false).</param>
/// <param name="WeightDecay">L2 weight decay added to every gradient (0).</param>
/// <param name="Beta1">Adam's β₁ (0.9).</param>
/// <param name="Beta2">Adam's β₂ (0.999).</param>
/// <param name="Epsilon">Adam's ε (1e-8).</param>
public sealed record OptimizerSettings(
    [property: JsonConverter(typeof(EnumNameConverter<OptimizerKind>))] OptimizerKind Kind = OptimizerKind.Sgd,
    float LearningRate = 0.01f, float Momentum = 0, bool Nesterov = false, float WeightDecay = 0,
    double Beta1 = 0.9, double Beta2 = 0.999, float Epsilon = 1e-8f)
{
    /// <summary>
    /// The optimizer these settings describe, over <paramref name="parameters"/>; settings out of range are a
    /// <see cref="SettingException"/> (see <see cref="Validate"/>).
    /// </summary>
    public Optimizer Create(IReadOnlyList<(string Name, Parameter Parameter)> parameters)
    {
        Validate();
        return Kind switch
        {
            OptimizerKind.Sgd => new Sgd(parameters, LearningRate, Momentum, WeightDecay, Nesterov),
            OptimizerKind.Adam => new Adam(parameters, LearningRate, Beta1, Beta2, Epsilon, WeightDecay),
            _ => throw new InvalidOperationException($"Unknown optimizer {Kind}."),
        };
    }

    /// <summary>
    /// Throws a <see cref="SettingException"/> naming the setting ("learning rate", "momentum", "weight decay",
    /// "nesterov", "beta1", "beta2", "epsilon", "optimizer") when one is out of range, as a user may give them.
    /// </summary>
    public void Validate()
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        static bool NonNegative(double v) => v >= 0 && double.IsFinite(v);
        if (!Enum.IsDefined(Kind)) throw new SettingException("optimizer", Kind.ToString(), $"Unknown optimizer {Kind}: use sgd or adam.");
        if (!NonNegative(LearningRate)) throw new SettingException("learning rate", LearningRate.ToString(c), $"The learning rate must be a finite non-negative number, got {LearningRate.ToString(c)}.");
        if (!NonNegative(WeightDecay)) throw new SettingException("weight decay", WeightDecay.ToString(c), $"The weight decay must be a finite non-negative number, got {WeightDecay.ToString(c)}.");
        if (Kind == OptimizerKind.Sgd)
        {
            if (!NonNegative(Momentum)) throw new SettingException("momentum", Momentum.ToString(c), $"The momentum must be a finite non-negative number, got {Momentum.ToString(c)}.");
            if (Nesterov && Momentum == 0) throw new SettingException("nesterov", "true", "Nesterov momentum needs a momentum greater than 0.");
        }
        else
        {
            if (!(Beta1 >= 0 && Beta1 < 1)) throw new SettingException("beta1", Beta1.ToString(c), $"Adam's beta1 must be in [0, 1), got {Beta1.ToString(c)}.");
            if (!(Beta2 >= 0 && Beta2 < 1)) throw new SettingException("beta2", Beta2.ToString(c), $"Adam's beta2 must be in [0, 1), got {Beta2.ToString(c)}.");
            if (!NonNegative(Epsilon)) throw new SettingException("epsilon", Epsilon.ToString(c), $"Adam's epsilon must be a finite non-negative number, got {Epsilon.ToString(c)}.");
        }
    }
}
