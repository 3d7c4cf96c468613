namespace Jimu.Training;

/// <summary>Metrics after one epoch (1-based <see cref="Epoch"/>). Test figures are NaN without a test set.</summary>
public sealed record EpochResult(int Epoch, float LearningRate, double TrainLoss, double TrainAccuracy,
    double TestLoss, double TestAccuracy, TimeSpan Elapsed, double ImagesPerSecond);

/// <summary>Reported after every training step: where training is and how fast it goes.</summary>
public readonly record struct TrainingProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch,
    double Loss, double ImagesPerSecond, TimeSpan Remaining);
