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
            throw ShapeError("input", [ShapeException.Any, Channels], shape, $"[N, {Channels}] or [N, {Channels}, L]", shape.Length == 4 ? "use BatchNorm2d for images" : null);
        if (shape[1] != Channels)
            throw ShapeError("input", shape.Length == 3 ? [ShapeException.Any, Channels, ShapeException.Any] : [ShapeException.Any, Channels], shape, $"{Channels} features");
        return shape.Length == 3 ? shape[2] : 1;
    }
}
