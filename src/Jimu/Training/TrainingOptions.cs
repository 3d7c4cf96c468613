using System.Text.Json.Serialization;
using Jimu.Data;

namespace Jimu.Training;

/// <summary>
/// How <see cref="Trainer"/> iterates over the data. The stored options' defaults are constructor parameters, so that
/// a checkpoint that lacks a field (one written before the field existed) reads back with the default, not zero.
/// </summary>
/// <param name="Epochs">Epochs in total (10).</param>
/// <param name="BatchSize">Images per step (64).</param>
/// <param name="Shuffle">Shuffle the training set every epoch (true).</param>
/// <param name="Seed">Seeds shuffling, dropout masks and augmentation (1).</param>
/// <param name="Schedule">How the learning rate changes by epoch (null: constant).</param>
/// <param name="MaxShift">Random translation by up to this many pixels (0: off).</param>
/// <param name="CropPadding">Random crop after padding by this many pixels (0: off).</param>
/// <param name="Flip">Random left–right flips (false).</param>
/// <param name="Normalization">Applied to every batch (null: none).</param>
public sealed record TrainingOptions(int Epochs = 10, int BatchSize = 64, bool Shuffle = true, int Seed = 1,
    LearningRateSchedule? Schedule = null, int MaxShift = 0, int CropPadding = 0, bool Flip = false, Normalization? Normalization = null)
{
    /// <summary>How the learning rate changes by epoch (constant when not given).</summary>
    public LearningRateSchedule Schedule { get; init => field = value ?? new LearningRateSchedule.Constant(); } = Schedule ?? new LearningRateSchedule.Constant();

    /// <summary>Whether any random transform is on.</summary>
    [JsonIgnore] public bool Augments => MaxShift > 0 || CropPadding > 0 || Flip;
    /// <summary>Where to start (when resuming): steps and epochs before it are skipped.</summary>
    [JsonIgnore] public TrainingPosition Start { get; init; } = TrainingPosition.Start;
    /// <summary>Call the checkpoint callback every this many optimizer steps (and at every epoch end); 0: at epoch ends only.</summary>
    [JsonIgnore] public int CheckpointEvery { get; init; }

    /// <summary>Throws when an option is out of range.</summary>
    public void Validate()
    {
        if (Epochs < 0) throw new ArgumentOutOfRangeException(nameof(Epochs), $"Epochs must be non-negative, got {Epochs}.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), $"Batch size must be at least 1, got {BatchSize}.");
        if (MaxShift < 0) throw new ArgumentOutOfRangeException(nameof(MaxShift), $"The shift must be non-negative, got {MaxShift}.");
        if (CropPadding < 0) throw new ArgumentOutOfRangeException(nameof(CropPadding), $"The crop padding must be non-negative, got {CropPadding}.");
        if (CheckpointEvery < 0) throw new ArgumentOutOfRangeException(nameof(CheckpointEvery), $"The checkpoint interval must be non-negative, got {CheckpointEvery}.");
        Start.Validate();
    }
}
