using Jimu.Tensors;

namespace Jimu.Layers;

/// <summary>
/// Batch normalisation of features (PyTorch's BatchNorm1d): x [N, C] (statistics per feature over N values) or
/// [N, C, L] (per channel over N·L values). The arithmetic is <see cref="BatchNorm"/>'s.
/// </summary>
public sealed class BatchNorm1d(int features, double eps = 1e-5, double momentum = 0.1, string name = "bn")
    : BatchNorm(features, eps, momentum, name)
{
    /// <inheritdoc/>
    protected override int SpatialSize(ReadOnlySpan<int> shape)
    {
        if (shape.Length is not (2 or 3))
            throw new ShapeException($"{Who} expects an input [N, C] or [N, C, L], got shape {Tensor.Format(shape)}; use BatchNorm2d for images.");
        if (shape[1] != Channels)
            throw new ShapeException($"{Who} expects {Channels} features, got {shape[1]}.");
        return shape.Length == 3 ? shape[2] : 1;
    }
}
