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
    /// <summary>The optimizer these settings describe, over <paramref name="parameters"/>.</summary>
    public Optimizer Create(IReadOnlyList<(string Name, Parameter Parameter)> parameters) => Kind switch
    {
        OptimizerKind.Sgd => new Sgd(parameters, LearningRate, Momentum, WeightDecay, Nesterov),
        OptimizerKind.Adam => new Adam(parameters, LearningRate, Beta1, Beta2, Epsilon, WeightDecay),
        _ => throw new ArgumentOutOfRangeException(nameof(parameters), $"Unknown optimizer {Kind}."),
    };
}
