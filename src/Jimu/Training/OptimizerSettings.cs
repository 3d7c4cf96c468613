using Jimu.Layers;

namespace Jimu.Training;

/// <summary>An optimizer's kind and hyper-parameters, as chosen on the command line and stored in model files.</summary>
public sealed record OptimizerSettings
{
    /// <summary>"sgd" or "adam".</summary>
    public string Kind { get; init; } = "sgd";
    public float LearningRate { get; init; } = 0.01f;
    public float Momentum { get; init; }
    public bool Nesterov { get; init; }
    public float WeightDecay { get; init; }
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public float Epsilon { get; init; } = 1e-8f;

    public Optimizer Create(IReadOnlyList<(string Name, Parameter Parameter)> parameters) => Kind switch
    {
        "sgd" => new Sgd(parameters, LearningRate, Momentum, WeightDecay, Nesterov),
        "adam" => new Adam(parameters, LearningRate, Beta1, Beta2, Epsilon, WeightDecay),
        _ => throw new ArgumentException($"Unknown optimizer '{Kind}': use sgd or adam."),
    };
}
