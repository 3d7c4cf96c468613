using Jimu.Layers;

namespace Jimu.Models;

/// <summary>The built-in architectures.</summary>
public static class BuiltIns
{
    /// <summary>The names of the built-in architectures.</summary>
    public static IReadOnlyList<string> Names { get; } = ["mnist-tf", "lenet5", "mnist-tf-bn", "bn-cnn", "vgg3"];

    /// <summary>
    /// The benchmark suite (<c>jimu bench suite</c>): the seed network, LeNet-5, a stack of 3×3 convolutions and the
    /// BatchNorm built-ins, which between them run every fast convolution path.
    /// </summary>
    public static IReadOnlyList<string> Suite { get; } = ["mnist-tf", "lenet5", "vgg3", "mnist-tf-bn", "bn-cnn"];

    /// <summary>Whether a built-in takes its input shape from the data (it ends in global average pooling).</summary>
    public static bool TakesAnyInputSize(string name) => name.Equals("bn-cnn", StringComparison.OrdinalIgnoreCase);

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
            new LayerSpec.Conv2d { Name = "conv1", OutChannels = 32, Kernel = [5], Padding = Padding.Same },
            new LayerSpec.Relu { Name = "relu1" },
            new LayerSpec.MaxPool2d { Name = "pool1", Kernel = [2], Stride = [2] },
            new LayerSpec.Conv2d { Name = "conv2", OutChannels = 64, Kernel = [5], Padding = Padding.Same },
            new LayerSpec.Relu { Name = "relu2" },
            new LayerSpec.MaxPool2d { Name = "pool2", Kernel = [2], Stride = [2] },
            new LayerSpec.Flatten { Name = "flatten" },
            new LayerSpec.Linear { Name = "fc1", OutFeatures = 512 },
            new LayerSpec.Relu { Name = "relu3" },
            new LayerSpec.Dropout { Name = "dropout", P = 0.5 },
            new LayerSpec.Linear { Name = "fc2", OutFeatures = 10 },
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
            new LayerSpec.Conv2d { Name = "conv1", OutChannels = 6, Kernel = [5], Padding = 2 },
            new LayerSpec.Relu { Name = "relu1" },
            new LayerSpec.MaxPool2d { Name = "pool1", Kernel = [2], Stride = [2] },
            new LayerSpec.Conv2d { Name = "conv2", OutChannels = 16, Kernel = [5] },
            new LayerSpec.Relu { Name = "relu2" },
            new LayerSpec.MaxPool2d { Name = "pool2", Kernel = [2], Stride = [2] },
            new LayerSpec.Flatten { Name = "flatten" },
            new LayerSpec.Linear { Name = "fc1", OutFeatures = 120 },
            new LayerSpec.Relu { Name = "relu3" },
            new LayerSpec.Linear { Name = "fc2", OutFeatures = 84 },
            new LayerSpec.Relu { Name = "relu4" },
            new LayerSpec.Linear { Name = "fc3", OutFeatures = 10 },
        ],
    };

    /// <summary>
    /// <c>mnist-tf</c> with batch normalisation after each convolution and the hidden linear layer (their biases
    /// dropped: BatchNorm's β replaces them): conv 5×5×32 same → BN → ReLU → max-pool 2/2 → conv 5×5×64 same → BN →
    /// ReLU → max-pool 2/2 → flatten → Linear 3136→512 → BN → ReLU → dropout 0.5 → Linear 512→10. For 28×28 grey
    /// images (Fashion-MNIST).
    /// </summary>
    public static Architecture MnistTfBn { get; } = new()
    {
        Name = "mnist-tf-bn",
        Input = [1, 28, 28],
        Layers =
        [
            new LayerSpec.Conv2d { Name = "conv1", OutChannels = 32, Kernel = [5], Padding = Padding.Same, Bias = false },
            new LayerSpec.BatchNorm2d { Name = "bn1" },
            new LayerSpec.Relu { Name = "relu1" },
            new LayerSpec.MaxPool2d { Name = "pool1", Kernel = [2], Stride = [2] },
            new LayerSpec.Conv2d { Name = "conv2", OutChannels = 64, Kernel = [5], Padding = Padding.Same, Bias = false },
            new LayerSpec.BatchNorm2d { Name = "bn2" },
            new LayerSpec.Relu { Name = "relu2" },
            new LayerSpec.MaxPool2d { Name = "pool2", Kernel = [2], Stride = [2] },
            new LayerSpec.Flatten { Name = "flatten" },
            new LayerSpec.Linear { Name = "fc1", OutFeatures = 512, Bias = false },
            new LayerSpec.BatchNorm1d { Name = "bn3" },
            new LayerSpec.Relu { Name = "relu3" },
            new LayerSpec.Dropout { Name = "dropout", P = 0.5 },
            new LayerSpec.Linear { Name = "fc2", OutFeatures = 10 },
        ],
    };

    /// <summary>
    /// For your own images, of any size: three stages of 3×3 convolutions (padding 1, no bias) each followed by
    /// BatchNorm and ReLU: 2 × 32 channels → max-pool 2/2 → 2 × 64 → max-pool 2/2 → 2 × 128 → global average pooling →
    /// Linear 128→classes. The input shape (here 3×32×32) and the class count are taken from the data when it is
    /// trained. Two small convolutions see as far as one 5×5 at less cost, and the six of them give the last layer a
    /// 28-pixel view before global average pooling, which keeps no spatial layout.
    /// </summary>
    public static Architecture BnCnn { get; } = new()
    {
        Name = "bn-cnn",
        Input = [3, 32, 32],
        Layers =
        [
            .. ConvBnRelu(1, 32), .. ConvBnRelu(2, 32),
            new LayerSpec.MaxPool2d { Name = "pool1", Kernel = [2], Stride = [2] },
            .. ConvBnRelu(3, 64), .. ConvBnRelu(4, 64),
            new LayerSpec.MaxPool2d { Name = "pool2", Kernel = [2], Stride = [2] },
            .. ConvBnRelu(5, 128), .. ConvBnRelu(6, 128),
            new LayerSpec.GlobalAvgPool2d { Name = "gap" },
            new LayerSpec.Linear { Name = "fc", OutFeatures = 10 },
        ],
    };

    /// <summary>conv{i} 3×3 padding 1 without bias (BatchNorm's β replaces it) → bn{i} → relu{i}.</summary>
    private static LayerSpec[] ConvBnRelu(int i, int channels) =>
    [
        new LayerSpec.Conv2d { Name = $"conv{i}", OutChannels = channels, Kernel = [3], Padding = 1, Bias = false },
        new LayerSpec.BatchNorm2d { Name = $"bn{i}" },
        new LayerSpec.Relu { Name = $"relu{i}" },
    ];

    /// <summary>
    /// A VGG-style stack of 3×3 convolutions for 28×28 grey images, the network of the TorchSharp and ONNX Runtime
    /// anchors: conv 3×3×32 pad 1 → ReLU → conv 3×3×32 pad 1 → ReLU → max-pool 2/2 → conv 3×3×64 pad 1 → ReLU →
    /// conv 3×3×64 pad 1 → ReLU → max-pool 2/2 → flatten 3136 → Linear 256 → ReLU → Linear 10.
    /// </summary>
    public static Architecture Vgg3 { get; } = new()
    {
        Name = "vgg3",
        Input = [1, 28, 28],
        Layers =
        [
            new LayerSpec.Conv2d { Name = "conv1", OutChannels = 32, Kernel = [3], Padding = 1 },
            new LayerSpec.Relu { Name = "relu1" },
            new LayerSpec.Conv2d { Name = "conv2", OutChannels = 32, Kernel = [3], Padding = 1 },
            new LayerSpec.Relu { Name = "relu2" },
            new LayerSpec.MaxPool2d { Name = "pool1", Kernel = [2], Stride = [2] },
            new LayerSpec.Conv2d { Name = "conv3", OutChannels = 64, Kernel = [3], Padding = 1 },
            new LayerSpec.Relu { Name = "relu3" },
            new LayerSpec.Conv2d { Name = "conv4", OutChannels = 64, Kernel = [3], Padding = 1 },
            new LayerSpec.Relu { Name = "relu4" },
            new LayerSpec.MaxPool2d { Name = "pool2", Kernel = [2], Stride = [2] },
            new LayerSpec.Flatten { Name = "flatten" },
            new LayerSpec.Linear { Name = "fc1", OutFeatures = 256 },
            new LayerSpec.Relu { Name = "relu5" },
            new LayerSpec.Linear { Name = "fc2", OutFeatures = 10 },
        ],
    };

    /// <summary>The built-in architecture of that name (case-insensitive), or null.</summary>
    public static Architecture? TryGet(string name) => name.ToLowerInvariant() switch
    {
        "mnist-tf" => MnistTf,
        "lenet5" => LeNet5,
        "mnist-tf-bn" => MnistTfBn,
        "bn-cnn" => BnCnn,
        "vgg3" => Vgg3,
        _ => null,
    };
}
