namespace Jimu.Training;

/// <summary>
/// The learning rate for each epoch (0-based), as torch.optim.lr_scheduler computes it when stepped once per epoch:
/// constant: lr₀;  step: lr₀·γ^⌊e / s⌋ (StepLR);  cosine: η_min + (lr₀ − η_min)(1 + cos(π·e / E))/2 (CosineAnnealingLR, T_max = E, η_min = 0).
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(JsonConverter))]
public abstract record LearningRateSchedule
{
    /// <summary>The learning rate of epoch <paramref name="epoch"/> (0-based) of <paramref name="totalEpochs"/>, from the base rate.</summary>
    public abstract float At(float baseRate, int epoch, int totalEpochs);

    /// <summary>The base rate in every epoch.</summary>
    public sealed record Constant : LearningRateSchedule
    {
        /// <inheritdoc/>
        public override float At(float baseRate, int epoch, int totalEpochs) => baseRate;
        /// <summary>A short description for messages and summaries.</summary>
        public override string ToString() => "constant";
    }

    /// <summary>The base rate times <paramref name="Gamma"/> every <paramref name="StepSize"/> epochs (PyTorch's StepLR).</summary>
    /// <param name="StepSize">Epochs between decays.</param>
    /// <param name="Gamma">Factor applied at each decay.</param>
    public sealed record Step(int StepSize, float Gamma) : LearningRateSchedule
    {
        /// <inheritdoc/>
        public override float At(float baseRate, int epoch, int totalEpochs) => baseRate * MathF.Pow(Gamma, epoch / StepSize);
        /// <summary>A short description for messages and summaries.</summary>
        public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"step:{StepSize}:{Gamma}");
    }

    /// <summary>Cosine annealing from the base rate to <paramref name="MinRate"/> over the run (PyTorch's CosineAnnealingLR, per epoch).</summary>
    /// <param name="MinRate">The rate the schedule ends at.</param>
    public sealed record Cosine(float MinRate = 0f) : LearningRateSchedule
    {
        /// <inheritdoc/>
        public override float At(float baseRate, int epoch, int totalEpochs) =>
            MinRate + (baseRate - MinRate) * (1 + MathF.Cos(MathF.PI * epoch / Math.Max(totalEpochs, 1))) / 2;
        /// <summary>A short description for messages and summaries.</summary>
        public override string ToString() => MinRate == 0 ? "cosine" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"cosine:{MinRate}");
    }

    /// <summary>
    /// Parses "constant", "cosine" (or "cosine:MIN_RATE"), or "step:S:G" (every S epochs multiply by G; "step" alone
    /// means step:1:0.5); anything else is a <see cref="SettingException"/> ("learning-rate schedule").
    /// </summary>
    public static LearningRateSchedule Parse(string text)
    {
        var parts = text.Trim().ToLowerInvariant().Split(':');
        var c = System.Globalization.CultureInfo.InvariantCulture;
        try
        {
            switch (parts[0])
            {
                case "constant" when parts.Length == 1: return new Constant();
                case "cosine" when parts.Length == 1: return new Cosine();
                case "cosine" when parts.Length == 2 && float.Parse(parts[1], c) is var min && min >= 0 && float.IsFinite(min): return new Cosine(min);
                case "step":
                    int s = parts.Length > 1 ? int.Parse(parts[1], c) : 1;
                    float g = parts.Length > 2 ? float.Parse(parts[2], c) : 0.5f;
                    if (s < 1 || !(g > 0) || parts.Length > 3) break;
                    return new Step(s, g);
            }
        }
        catch (Exception e) when (e is FormatException or OverflowException) { }
        throw new SettingException("learning-rate schedule", text, $"Invalid learning-rate schedule '{text}': use constant, cosine or step:EPOCHS:GAMMA (e.g. step:3:0.1).");
    }

    /// <summary>Stored (in checkpoints) as the text <see cref="Parse"/> reads.</summary>
    public sealed class JsonConverter : System.Text.Json.Serialization.JsonConverter<LearningRateSchedule>
    {
        /// <summary>Reads "constant", "cosine" or "step:S:G".</summary>
        public override LearningRateSchedule Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options)
        {
            try { return Parse(reader.GetString() ?? throw new System.Text.Json.JsonException("the schedule is null")); }
            catch (Exception e) when (e is SettingException or InvalidOperationException) { throw new System.Text.Json.JsonException(e.Message); }
        }

        /// <summary>Writes the schedule's text.</summary>
        public override void Write(System.Text.Json.Utf8JsonWriter writer, LearningRateSchedule value, System.Text.Json.JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToString());
    }
}
