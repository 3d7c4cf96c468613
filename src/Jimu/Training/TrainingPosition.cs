namespace Jimu.Training;

/// <summary>
/// Where a run is: <see cref="Step"/> mini-batches of 0-based <see cref="Epoch"/> done (Step = 0: the epoch has
/// not started; after the last epoch, Epoch = the number of epochs). With the run's <see cref="TrainingOptions"/>
/// this fixes everything the rest of the run depends on: the epoch's data order, every random draw (see
/// <see cref="Seeds.ForStep"/>), the learning rate; the running sums make the resumed epoch report the same
/// train loss and accuracy as an uninterrupted one.
/// </summary>
public sealed record TrainingPosition(int Epoch, int Step, double LossSum = 0, long Correct = 0, int Seen = 0)
{
    /// <summary>Before the first step.</summary>
    public static readonly TrainingPosition Start = new(0, 0);

    /// <summary>"epoch 2, step 237 of 938" or "after epoch 2" (1-based for people).</summary>
    public string Describe(int stepsPerEpoch) => Step == 0
        ? Epoch == 0 ? "before the first step" : $"after epoch {Epoch} (step {stepsPerEpoch} of {stepsPerEpoch})"
        : $"in epoch {Epoch + 1} after step {Step} of {stepsPerEpoch}";

    /// <summary>Throws a <see cref="CheckpointException"/> for a position no run can be at (a damaged checkpoint).</summary>
    public void Validate()
    {
        if (Epoch < 0 || Step < 0 || Seen < 0 || Correct < 0 || Correct > Seen || !double.IsFinite(LossSum))
            throw new CheckpointException(null, $"Invalid training position (epoch {Epoch}, step {Step}, {Seen} seen, {Correct} correct, loss sum {LossSum}): the checkpoint is damaged; start anew from its weights.");
    }
}
