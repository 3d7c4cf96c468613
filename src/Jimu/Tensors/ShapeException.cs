namespace Jimu.Tensors;

/// <summary>Thrown when a tensor's shape does not fit the layer or operation it is given to.</summary>
public sealed class ShapeException(string message) : ArgumentException(message);
