using Jimu.Tensors;

namespace Jimu.Layers;

/// <summary>
/// Batch normalisation of images (PyTorch's BatchNorm2d): x [N, C, H, W], statistics per channel over N·H·W
/// values. The arithmetic is <see cref="BatchNorm"/>'s.
/// </summary>
public sealed class BatchNorm2d(int channels, double eps = 1e-5, double momentum = 0.1, string name = "bn")
    : BatchNorm(channels, eps, momentum, name)
{
    /// <inheritdoc/>
    protected override int SpatialSize(ReadOnlySpan<int> shape)
    {
        if (shape.Length != 4)
            throw ShapeError("input", [ShapeException.Any, Channels, ShapeException.Any, ShapeException.Any], shape, "4-D NCHW", shape.Length == 2 ? "use BatchNorm1d after flatten" : null);
        if (shape[1] != Channels)
            throw ShapeError("input", [ShapeException.Any, Channels, ShapeException.Any, ShapeException.Any], shape, $"{Channels} input channels");
        return shape[2] * shape[3];
    }
}
