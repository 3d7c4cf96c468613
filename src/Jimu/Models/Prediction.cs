namespace Jimu.Models;

/// <summary>A classifier's answer for one image: the most probable class and every logit and probability.</summary>
public sealed record Prediction(int Class, float Probability, float[] Logits, float[] Probabilities);
