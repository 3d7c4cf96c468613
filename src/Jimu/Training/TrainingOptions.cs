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

    /// <summary>Throws a <see cref="SettingException"/> naming the option ("epochs", "batch size", …) when one is out of range.</summary>
    public void Validate()
    {
        static void Check(bool ok, string setting, int value, string rule)
        {
            if (!ok) throw new SettingException(setting, value.ToString(System.Globalization.CultureInfo.InvariantCulture), $"The {setting} must be {rule}, got {value}.");
        }
        Check(Epochs >= 0, "epochs", Epochs, "non-negative");
        Check(BatchSize >= 1, "batch size", BatchSize, "at least 1");
        Check(MaxShift >= 0, "shift", MaxShift, "non-negative");
        Check(CropPadding >= 0, "crop padding", CropPadding, "non-negative");
        Check(CheckpointEvery >= 0, "checkpoint interval", CheckpointEvery, "non-negative");
        Start.Validate();
    }
}
