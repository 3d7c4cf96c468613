namespace Jimu.Models;

/// <summary>
/// Describes a sequential CNN in a few readable lines:
/// <code>
/// var arch = new ArchitectureBuilder("my-net", channels: 1, height: 28, width: 28)
///     .Conv2D(32, kernel: 5, padding: "same").Relu().MaxPool(2)
///     .Flatten().Linear(10)
///     .Build();
/// </code>
/// </summary>
public sealed class ArchitectureBuilder(string name, int channels, int height, int width)
{
    private readonly List<LayerSpec> _layers = [];
    private bool _flat; // after flatten or global average pooling: BatchNorm() is batchnorm1d

    /// <summary>Adds a 2-D convolution with a square kernel; padding: an integer, "ph,pw", "top,bottom,left,right", "same" or "valid".</summary>
    public ArchitectureBuilder Conv2D(int outChannels, int kernel, int stride = 1, string padding = "0", bool bias = true, string? name = null) =>
        Add(new LayerSpec { Type = "conv2d", Name = name, OutChannels = outChannels, Kernel = [kernel], Stride = [stride], Padding = padding, Bias = bias });

    /// <summary>Adds a 2-D convolution with a rectangular kernel and stride.</summary>
    public ArchitectureBuilder Conv2D(int outChannels, (int H, int W) kernel, (int H, int W) stride, string padding = "0", bool bias = true, string? name = null) =>
        Add(new LayerSpec { Type = "conv2d", Name = name, OutChannels = outChannels, Kernel = [kernel.H, kernel.W], Stride = [stride.H, stride.W], Padding = padding, Bias = bias });

    /// <summary>Adds max pooling over a window×window window (stride = window unless given).</summary>
    public ArchitectureBuilder MaxPool(int window, int? stride = null, string padding = "0", string? name = null) =>
        Add(new LayerSpec { Type = "maxpool2d", Name = name, Kernel = [window], Stride = [stride ?? window], Padding = padding });

    /// <summary>Adds average pooling over a window×window window (stride = window unless given).</summary>
    public ArchitectureBuilder AvgPool(int window, int? stride = null, string padding = "0", string? name = null) =>
        Add(new LayerSpec { Type = "avgpool2d", Name = name, Kernel = [window], Stride = [stride ?? window], Padding = padding });

    /// <summary>Global average pooling: [N, C, H, W] → [N, C] (flat: linear may follow directly).</summary>
    public ArchitectureBuilder GlobalAvgPool(string? name = null) => Add(new LayerSpec { Type = "globalavgpool2d", Name = name }, flat: true);

    /// <summary>Batch normalisation: batchnorm2d on images, batchnorm1d after flatten or global average pooling.</summary>
    public ArchitectureBuilder BatchNorm(double eps = 1e-5, double momentum = 0.1, string? name = null) =>
        Add(new LayerSpec { Type = _flat ? "batchnorm1d" : "batchnorm2d", Name = name, Eps = eps, Momentum = momentum });

    /// <summary>Adds a ReLU.</summary>
    public ArchitectureBuilder Relu(string? name = null) => Add(new LayerSpec { Type = "relu", Name = name });
    /// <summary>Adds a leaky ReLU with the given negative slope.</summary>
    public ArchitectureBuilder LeakyRelu(double negativeSlope = 0.01, string? name = null) => Add(new LayerSpec { Type = "leakyrelu", Name = name, NegativeSlope = negativeSlope });
    /// <summary>Adds a logistic sigmoid.</summary>
    public ArchitectureBuilder Sigmoid(string? name = null) => Add(new LayerSpec { Type = "sigmoid", Name = name });
    /// <summary>Adds a hyperbolic tangent.</summary>
    public ArchitectureBuilder Tanh(string? name = null) => Add(new LayerSpec { Type = "tanh", Name = name });
    /// <summary>Adds a flatten layer: [N, C, H, W] → [N, C·H·W].</summary>
    public ArchitectureBuilder Flatten(string? name = null) => Add(new LayerSpec { Type = "flatten", Name = name }, flat: true);
    /// <summary>Adds inverted dropout with probability <paramref name="p"/>.</summary>
    public ArchitectureBuilder Dropout(double p, string? name = null) => Add(new LayerSpec { Type = "dropout", Name = name, P = p });

    /// <summary>Adds a fully connected layer; its input size follows from the previous layer.</summary>
    public ArchitectureBuilder Linear(int outFeatures, bool bias = true, string? name = null) =>
        Add(new LayerSpec { Type = "linear", Name = name, OutFeatures = outFeatures, Bias = bias });

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
