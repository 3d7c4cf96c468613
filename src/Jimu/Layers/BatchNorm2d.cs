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
            throw new ShapeException($"{Who} expects a 4-D NCHW input, got shape {Tensor.Format(shape)}; use BatchNorm1d after flatten.");
        if (shape[1] != Channels)
            throw new ShapeException($"{Who} expects {Channels} input channels, got {shape[1]}.");
        return shape[2] * shape[3];
    }
}
