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

    public ArchitectureBuilder Conv2D(int outChannels, int kernel, int stride = 1, string padding = "0", bool bias = true, string? name = null) =>
        Add(new LayerSpec { Type = "conv2d", Name = name, OutChannels = outChannels, Kernel = [kernel], Stride = [stride], Padding = padding, Bias = bias });

    public ArchitectureBuilder Conv2D(int outChannels, (int H, int W) kernel, (int H, int W) stride, string padding = "0", bool bias = true, string? name = null) =>
        Add(new LayerSpec { Type = "conv2d", Name = name, OutChannels = outChannels, Kernel = [kernel.H, kernel.W], Stride = [stride.H, stride.W], Padding = padding, Bias = bias });

    public ArchitectureBuilder MaxPool(int window, int? stride = null, string padding = "0", string? name = null) =>
        Add(new LayerSpec { Type = "maxpool2d", Name = name, Kernel = [window], Stride = [stride ?? window], Padding = padding });

    public ArchitectureBuilder AvgPool(int window, int? stride = null, string padding = "0", string? name = null) =>
        Add(new LayerSpec { Type = "avgpool2d", Name = name, Kernel = [window], Stride = [stride ?? window], Padding = padding });

    public ArchitectureBuilder Relu(string? name = null) => Add(new LayerSpec { Type = "relu", Name = name });
    public ArchitectureBuilder Flatten(string? name = null) => Add(new LayerSpec { Type = "flatten", Name = name });
    public ArchitectureBuilder Dropout(double p, string? name = null) => Add(new LayerSpec { Type = "dropout", Name = name, P = p });

    public ArchitectureBuilder Linear(int outFeatures, bool bias = true, string? name = null) =>
        Add(new LayerSpec { Type = "linear", Name = name, OutFeatures = outFeatures, Bias = bias });

    private ArchitectureBuilder Add(LayerSpec spec)
    {
        _layers.Add(spec);
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
