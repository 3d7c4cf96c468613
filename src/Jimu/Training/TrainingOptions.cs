using System.Text.Json.Serialization;
using Jimu.Data;

namespace Jimu.Training;

/// <summary>How <see cref="Trainer"/> iterates over the data.</summary>
public sealed record TrainingOptions
{
    /// <summary>Epochs in total (10).</summary>
    public int Epochs { get; init; } = 10;
    /// <summary>Images per step (64).</summary>
    public int BatchSize { get; init; } = 64;
    /// <summary>Shuffle the training set every epoch (from <see cref="Seed"/>).</summary>
    public bool Shuffle { get; init; } = true;
    /// <summary>Seeds shuffling and dropout masks.</summary>
    public int Seed { get; init; } = 1;
    /// <summary>How the learning rate changes by epoch (constant).</summary>
    public LearningRateSchedule Schedule { get; init; } = new LearningRateSchedule.Constant();
    /// <summary>Data augmentation: translate each training image by a random whole number of pixels in
    /// [−MaxShift, MaxShift] on each axis (zero fill), drawn from <see cref="Seed"/>. 0: no augmentation.</summary>
    public int MaxShift { get; init; }
    /// <summary>Data augmentation: torchvision's RandomCrop(size, padding = CropPadding): pad every side with
    /// zeros, then crop a random window of the original size. 0: off.</summary>
    public int CropPadding { get; init; }
    /// <summary>Data augmentation: flip each training image left–right with probability 1/2 (wrong for digits and letters).</summary>
    public bool Flip { get; init; }
    /// <summary>Applied to every batch (training and test) after augmentation; null: pixels in [0, 1] as they are.</summary>
    public Normalization? Normalization { get; init; }

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
