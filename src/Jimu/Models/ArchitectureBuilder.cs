using Jimu.Layers;

namespace Jimu.Models;

/// <summary>
/// Describes a sequential CNN in a few readable lines:
/// <code>
/// var arch = new ArchitectureBuilder("my-net", channels: 1, height: 28, width: 28)
///     .Conv2D(32, kernel: 5, padding: Padding.Same).Relu().MaxPool(2)
///     .Flatten().Linear(10)
///     .Build();
/// </code>
/// </summary>
public sealed class ArchitectureBuilder(string name, int channels, int height, int width)
{
    private readonly List<LayerSpec> _layers = [];
    private bool _flat; // after flatten or global average pooling: BatchNorm() is batchnorm1d

    // The two Conv2D overloads differ in their required parameters (int vs (H, W) kernel), so the optional ones never clash.
#pragma warning disable RS0026
    /// <summary>Adds a 2-D convolution with a square kernel; padding: a number p (an int converts), <see cref="Padding.Same"/>, <see cref="Padding.Valid"/> or <see cref="Padding.Explicit"/>.</summary>
    public ArchitectureBuilder Conv2D(int outChannels, int kernel, int stride = 1, Padding padding = default, bool bias = true,
        ConvAlgorithm? algorithm = null, string? name = null) =>
        Add(new LayerSpec.Conv2d { Name = name, OutChannels = outChannels, Kernel = [kernel], Stride = [stride], Padding = padding, Bias = bias, Algorithm = algorithm });

    /// <summary>Adds a 2-D convolution with a rectangular kernel and stride.</summary>
    public ArchitectureBuilder Conv2D(int outChannels, (int H, int W) kernel, (int H, int W) stride, Padding padding = default, bool bias = true,
        ConvAlgorithm? algorithm = null, string? name = null) =>
        Add(new LayerSpec.Conv2d { Name = name, OutChannels = outChannels, Kernel = [kernel.H, kernel.W], Stride = [stride.H, stride.W], Padding = padding, Bias = bias, Algorithm = algorithm });

#pragma warning restore RS0026

    /// <summary>Adds max pooling over a window×window window (stride = window unless given).</summary>
    public ArchitectureBuilder MaxPool(int window, int? stride = null, Padding padding = default, string? name = null) =>
        Add(new LayerSpec.MaxPool2d { Name = name, Kernel = [window], Stride = [stride ?? window], Padding = padding });

    /// <summary>Adds average pooling over a window×window window (stride = window unless given).</summary>
    public ArchitectureBuilder AvgPool(int window, int? stride = null, Padding padding = default, string? name = null) =>
        Add(new LayerSpec.AvgPool2d { Name = name, Kernel = [window], Stride = [stride ?? window], Padding = padding });

    /// <summary>Global average pooling: [N, C, H, W] → [N, C] (flat: linear may follow directly).</summary>
    public ArchitectureBuilder GlobalAvgPool(string? name = null) => Add(new LayerSpec.GlobalAvgPool2d { Name = name }, flat: true);

    /// <summary>Batch normalisation: batchnorm2d on images, batchnorm1d after flatten or global average pooling.</summary>
    public ArchitectureBuilder BatchNorm(double eps = 1e-5, double momentum = 0.1, string? name = null) =>
        Add(_flat ? new LayerSpec.BatchNorm1d { Name = name, Eps = eps, Momentum = momentum } : new LayerSpec.BatchNorm2d { Name = name, Eps = eps, Momentum = momentum });

    /// <summary>Adds a ReLU.</summary>
    public ArchitectureBuilder Relu(string? name = null) => Add(new LayerSpec.Relu { Name = name });
    /// <summary>Adds a leaky ReLU with the given negative slope.</summary>
    public ArchitectureBuilder LeakyRelu(double negativeSlope = 0.01, string? name = null) => Add(new LayerSpec.LeakyRelu { Name = name, NegativeSlope = negativeSlope });
    /// <summary>Adds a logistic sigmoid.</summary>
    public ArchitectureBuilder Sigmoid(string? name = null) => Add(new LayerSpec.Sigmoid { Name = name });
    /// <summary>Adds a hyperbolic tangent.</summary>
    public ArchitectureBuilder Tanh(string? name = null) => Add(new LayerSpec.Tanh { Name = name });
    /// <summary>Adds a flatten layer: [N, C, H, W] → [N, C·H·W].</summary>
    public ArchitectureBuilder Flatten(string? name = null) => Add(new LayerSpec.Flatten { Name = name }, flat: true);
    /// <summary>Adds inverted dropout with probability <paramref name="p"/>.</summary>
    public ArchitectureBuilder Dropout(double p, string? name = null) => Add(new LayerSpec.Dropout { Name = name, P = p });

    /// <summary>Adds a fully connected layer; its input size follows from the previous layer.</summary>
    public ArchitectureBuilder Linear(int outFeatures, bool bias = true, string? name = null) =>
        Add(new LayerSpec.Linear { Name = name, OutFeatures = outFeatures, Bias = bias });

    private ArchitectureBuilder Add(LayerSpec spec, bool flat = false)
    {
        _layers.Add(spec);
        _flat |= flat;
        return this;
    }

    /// <summary>The architecture; building it checks that every layer fits.</summary>
    public Architecture Build()
    {
        var a = new Architecture { Name = name, Input = [channels, height, width], Layers = [.. _layers] };
        a.Build();
        return a;
    }
}
