using System.Text.Json.Serialization;

namespace Jimu.Training;

/// <summary>
/// How <see cref="Trainer"/> iterates over the data. A checkpoint stores these (as JSON, every property but
/// <see cref="Start"/> and <see cref="CheckpointEvery"/>) so that a resumed run continues with the same ones.
/// </summary>
public sealed record TrainingOptions
{
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 64;
    /// <summary>Shuffle the training set every epoch (from <see cref="Seed"/>).</summary>
    public bool Shuffle { get; init; } = true;
    /// <summary>Seeds shuffling, dropout masks and augmentation (see <see cref="Seeds.ForStep"/>).</summary>
    public int Seed { get; init; } = 1;
    public LearningRateSchedule Schedule { get; init; } = new LearningRateSchedule.Constant();
    /// <summary>Data augmentation: translate each training image by a random whole number of pixels in
    /// [−MaxShift, MaxShift] on each axis (zero fill), drawn from <see cref="Seed"/>. 0: no augmentation.</summary>
    public int MaxShift { get; init; }
    /// <summary>Where to start (when resuming): steps and epochs before it are skipped.</summary>
    [JsonIgnore] public TrainingPosition Start { get; init; } = TrainingPosition.Start;
    /// <summary>Call the checkpoint callback every this many optimizer steps (and at every epoch end); 0: at epoch ends only.</summary>
    [JsonIgnore] public int CheckpointEvery { get; init; }

    public void Validate()
    {
        if (Epochs < 0) throw new ArgumentOutOfRangeException(nameof(Epochs), $"Epochs must be non-negative, got {Epochs}.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), $"Batch size must be at least 1, got {BatchSize}.");
        if (MaxShift < 0) throw new ArgumentOutOfRangeException(nameof(MaxShift), $"The shift must be non-negative, got {MaxShift}.");
        if (CheckpointEvery < 0) throw new ArgumentOutOfRangeException(nameof(CheckpointEvery), $"The checkpoint interval must be non-negative, got {CheckpointEvery}.");
        Start.Validate();
    }
}
