namespace Jimu.Training;

/// <summary>Metrics after one epoch (1-based <see cref="Epoch"/>). Test figures are NaN without a test set.</summary>
public sealed record EpochResult(int Epoch, float LearningRate, double TrainLoss, double TrainAccuracy,
    double TestLoss, double TestAccuracy, TimeSpan Elapsed, double ImagesPerSecond);

/// <summary>
/// Reported after every training step: where training is and how fast it goes. <see cref="Loss"/> is the last
/// batch's loss (it jumps from batch to batch), <see cref="MeanLoss"/> the mean over the epoch's images so far.
/// <see cref="Remaining"/> is the time left for the whole run, at the epoch's speed so far.
/// </summary>
public readonly record struct TrainingProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch,
    double Loss, double MeanLoss, double ImagesPerSecond, TimeSpan Remaining);
