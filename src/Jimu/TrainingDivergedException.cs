namespace Jimu;

/// <summary>The loss or a gradient became NaN or infinite: 1-based <see cref="Epoch"/> and, when known, <see cref="Step"/>.</summary>
public sealed class TrainingDivergedException(int epoch, int? step, string message) : JimuException(message)
{
    /// <summary>The epoch (1-based) in which training diverged.</summary>
    public int Epoch { get; } = epoch;
    /// <summary>The step (1-based) in which training diverged, when known.</summary>
    public int? Step { get; } = step;
}
