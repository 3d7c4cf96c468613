namespace Jimu.Training;

/// <summary>The optimizers Jimu has; stored in model files and checkpoints by lower-case name ("sgd", "adam").</summary>
public enum OptimizerKind
{
    /// <summary>Stochastic gradient descent with optional (Nesterov) momentum: torch.optim.SGD.</summary>
    Sgd,
    /// <summary>Adam with L2 weight decay: torch.optim.Adam.</summary>
    Adam,
}
