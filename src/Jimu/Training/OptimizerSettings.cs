using Jimu.Layers;

namespace Jimu.Training;

/// <summary>An optimizer's kind and hyper-parameters, as chosen on the command line and stored in model files.</summary>
public sealed record OptimizerSettings
{
    /// <summary>"sgd" or "adam".</summary>
    public string Kind { get; init; } = "sgd";
    /// <summary>The base learning rate (0.01).</summary>
    public float LearningRate { get; init; } = 0.01f;
    /// <summary>SGD momentum (0).</summary>
    public float Momentum { get; init; }
    /// <summary>SGD with Nesterov momentum.</summary>
    public bool Nesterov { get; init; }
    /// <summary>L2 weight decay added to every gradient (0).</summary>
    public float WeightDecay { get; init; }
    /// <summary>Adam's β₁ (0.9).</summary>
    public double Beta1 { get; init; } = 0.9;
    /// <summary>Adam's β₂ (0.999).</summary>
    public double Beta2 { get; init; } = 0.999;
    /// <summary>Adam's ε (1e-8).</summary>
    public float Epsilon { get; init; } = 1e-8f;

    /// <summary>The optimizer these settings describe, over <paramref name="parameters"/>.</summary>
    public Optimizer Create(IReadOnlyList<(string Name, Parameter Parameter)> parameters) => Kind switch
    {
        "sgd" => new Sgd(parameters, LearningRate, Momentum, WeightDecay, Nesterov),
        "adam" => new Adam(parameters, LearningRate, Beta1, Beta2, Epsilon, WeightDecay),
        _ => throw new ArgumentException($"Unknown optimizer '{Kind}': use sgd or adam."),
    };
}
