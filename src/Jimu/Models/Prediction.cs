namespace Jimu.Models;

/// <summary>
/// A classifier's answer for one image: the most probable class (<see cref="Class"/>, its index), its
/// <see cref="Label"/> (the class name when the model knows its classes, else the index as text), and every
/// logit and probability.
/// </summary>
public sealed record Prediction(int Class, float Probability, float[] Logits, float[] Probabilities, string Label);
