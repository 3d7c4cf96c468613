using System.Text.Json.Serialization;

namespace Jimu.Models;

/// <summary>
/// One layer of an architecture, as written in a JSON architecture file. Which fields apply depends on
/// <see cref="Type"/>: conv2d (out_channels, kernel, stride, padding, bias, algorithm), maxpool2d / avgpool2d
/// (kernel, stride, padding, algorithm), linear (out_features, bias), dropout (p), batchnorm2d / batchnorm1d
/// (eps, momentum), leakyrelu (negative_slope), relu, sigmoid, tanh, flatten, globalavgpool2d.
/// Input sizes (in_channels, in_features, num_features) are inferred from the previous layer.
/// </summary>
public sealed record LayerSpec
{
    /// <summary>The layer type: conv2d, maxpool2d, avgpool2d, globalavgpool2d, linear, batchnorm2d, batchnorm1d, relu, leakyrelu, sigmoid, tanh, flatten or dropout.</summary>
    [JsonPropertyName("type")] public string Type { get; init; } = "";
    /// <summary>Unique name; parameters are saved as "name.weight" and "name.bias". Generated when omitted.</summary>
    [JsonPropertyName("name")] public string? Name { get; init; }
    /// <summary>conv2d: output channels.</summary>
    [JsonPropertyName("out_channels")] public int? OutChannels { get; init; }
    /// <summary>linear: output features.</summary>
    [JsonPropertyName("out_features")] public int? OutFeatures { get; init; }
    /// <summary>Kernel or window size: [k] or [kh, kw].</summary>
    [JsonPropertyName("kernel"), JsonConverter(typeof(IntOrArrayConverter))] public int[]? Kernel { get; init; }
    /// <summary>[s] or [sh, sw]; conv default 1, pooling default = kernel.</summary>
    [JsonPropertyName("stride"), JsonConverter(typeof(IntOrArrayConverter))] public int[]? Stride { get; init; }
    /// <summary>"same", "valid", "p", "ph,pw" or "top,bottom,left,right"; default 0.</summary>
    [JsonPropertyName("padding"), JsonConverter(typeof(PaddingConverter))] public string? Padding { get; init; }
    /// <summary>conv2d and linear: whether the layer adds a bias (true).</summary>
    [JsonPropertyName("bias")] public bool? Bias { get; init; }
    /// <summary>conv2d: "auto" (default), "winograd", "vectorized", "im2col" or "direct"; pooling: "direct" (default) or "im2col".</summary>
    [JsonPropertyName("algorithm")] public string? Algorithm { get; init; }
    /// <summary>Dropout probability.</summary>
    [JsonPropertyName("p")] public double? P { get; init; }
    /// <summary>BatchNorm: ε added to the variance (1e-5).</summary>
    [JsonPropertyName("eps")] public double? Eps { get; init; }
    /// <summary>BatchNorm: weight of the newest batch in the running statistics (0.1).</summary>
    [JsonPropertyName("momentum")] public double? Momentum { get; init; }
    /// <summary>LeakyReLU: slope for negative inputs (0.01).</summary>
    [JsonPropertyName("negative_slope")] public double? NegativeSlope { get; init; }
}
