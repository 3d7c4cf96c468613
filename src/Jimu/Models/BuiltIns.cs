namespace Jimu.Models;

/// <summary>The built-in architectures.</summary>
public static class BuiltIns
{
    /// <summary>The names of the built-in architectures.</summary>
    public static IReadOnlyList<string> Names { get; } = ["mnist-tf", "lenet5"];

    /// <summary>
    /// The seeds' TensorFlow MNIST network: conv 5×5×32 same → ReLU → max-pool 2/2 → conv 5×5×64 same → ReLU →
    /// max-pool 2/2 → flatten → Linear 3136→512 → ReLU → dropout 0.5 → Linear 512→10.
    /// </summary>
    public static Architecture MnistTf { get; } = new()
    {
        Name = "mnist-tf",
        Input = [1, 28, 28],
        Layers =
        [
            new() { Type = "conv2d", Name = "conv1", OutChannels = 32, Kernel = [5], Padding = "same" },
            new() { Type = "relu", Name = "relu1" },
            new() { Type = "maxpool2d", Name = "pool1", Kernel = [2], Stride = [2] },
            new() { Type = "conv2d", Name = "conv2", OutChannels = 64, Kernel = [5], Padding = "same" },
            new() { Type = "relu", Name = "relu2" },
            new() { Type = "maxpool2d", Name = "pool2", Kernel = [2], Stride = [2] },
            new() { Type = "flatten", Name = "flatten" },
            new() { Type = "linear", Name = "fc1", OutFeatures = 512 },
            new() { Type = "relu", Name = "relu3" },
            new() { Type = "dropout", Name = "dropout", P = 0.5 },
            new() { Type = "linear", Name = "fc2", OutFeatures = 10 },
        ],
    };

    /// <summary>
    /// LeNet-5 for 28×28 inputs as usually written in PyTorch: conv 5×5×6 pad 2 → ReLU → max-pool 2/2 →
    /// conv 5×5×16 → ReLU → max-pool 2/2 → flatten 400 → Linear 120 → ReLU → Linear 84 → ReLU → Linear 10.
    /// </summary>
    public static Architecture LeNet5 { get; } = new()
    {
        Name = "lenet5",
        Input = [1, 28, 28],
        Layers =
        [
            new() { Type = "conv2d", Name = "conv1", OutChannels = 6, Kernel = [5], Padding = "2" },
            new() { Type = "relu", Name = "relu1" },
            new() { Type = "maxpool2d", Name = "pool1", Kernel = [2], Stride = [2] },
            new() { Type = "conv2d", Name = "conv2", OutChannels = 16, Kernel = [5] },
            new() { Type = "relu", Name = "relu2" },
            new() { Type = "maxpool2d", Name = "pool2", Kernel = [2], Stride = [2] },
            new() { Type = "flatten", Name = "flatten" },
            new() { Type = "linear", Name = "fc1", OutFeatures = 120 },
            new() { Type = "relu", Name = "relu3" },
            new() { Type = "linear", Name = "fc2", OutFeatures = 84 },
            new() { Type = "relu", Name = "relu4" },
            new() { Type = "linear", Name = "fc3", OutFeatures = 10 },
        ],
    };

    /// <summary>The built-in architecture of that name (case-insensitive), or null.</summary>
    public static Architecture? TryGet(string name) => name.ToLowerInvariant() switch
    {
        "mnist-tf" => MnistTf,
        "lenet5" => LeNet5,
        _ => null,
    };
}
