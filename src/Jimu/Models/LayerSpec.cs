using System.Text.Json.Serialization;
using Jimu.Layers;

namespace Jimu.Models;

/// <summary>
/// One layer of an architecture as data: one record per layer type, each with the fields that type has and a
/// <see cref="Build"/> that makes the layer. In JSON the record is chosen by <c>"type"</c>:
/// <code>
/// { "type": "conv2d", "name": "conv1", "out_channels": 32, "kernel": 5, "padding": "same" }
/// </code>
/// Input sizes (in_channels, in_features, num_features) are never written: they follow from the previous layer.
/// An optional field left null takes the default its documentation names (as PyTorch's).
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(Conv2d), "conv2d")]
[JsonDerivedType(typeof(MaxPool2d), "maxpool2d")]
[JsonDerivedType(typeof(AvgPool2d), "avgpool2d")]
[JsonDerivedType(typeof(GlobalAvgPool2d), "globalavgpool2d")]
[JsonDerivedType(typeof(Linear), "linear")]
[JsonDerivedType(typeof(BatchNorm2d), "batchnorm2d")]
[JsonDerivedType(typeof(BatchNorm1d), "batchnorm1d")]
[JsonDerivedType(typeof(Relu), "relu")]
[JsonDerivedType(typeof(LeakyRelu), "leakyrelu")]
[JsonDerivedType(typeof(Sigmoid), "sigmoid")]
[JsonDerivedType(typeof(Tanh), "tanh")]
[JsonDerivedType(typeof(Flatten), "flatten")]
[JsonDerivedType(typeof(Dropout), "dropout")]
public abstract record LayerSpec
{
    private protected LayerSpec() { }

    /// <summary>Unique name; parameters are saved as "name.weight" and "name.bias". Generated when null ("conv1", "fc2", …).</summary>
    [JsonPropertyName("name"), JsonPropertyOrder(-1)] public string? Name { get; init; }

    /// <summary>The JSON type name ("conv2d").</summary>
    [JsonIgnore] public string Type => TypeName;

    private protected abstract string TypeName { get; }

    /// <summary>Stem of generated names: "conv" for conv2d, "fc" for linear, the type otherwise.</summary>
    [JsonIgnore] internal virtual string NamePrefix => Type;

    /// <summary>
    /// The layer for an input of shape <paramref name="inputShape"/> ([N, C, H, W] or [N, features], the previous
    /// layer's output), named <paramref name="name"/>; weights zero until initialised or loaded.
    /// Throws <see cref="JimuException"/> (or <see cref="ArgumentException"/> from the layer) when it does not fit.
    /// </summary>
    public abstract Layer Build(int[] inputShape, string name);

    /// <summary>The parameters <see cref="Build"/> would allocate on <paramref name="inputShape"/>, computed without allocating.</summary>
    public virtual long ParameterCount(int[] inputShape) => 0;

    /// <summary>A 2-D convolution (PyTorch's Conv2d).</summary>
    public sealed record Conv2d : LayerSpec
    {
        private protected override string TypeName => "conv2d";
        internal override string NamePrefix => "conv";
        /// <summary>Output channels.</summary>
        [JsonPropertyName("out_channels")] public required int OutChannels { get; init; }
        /// <summary>Kernel size: [k] or [kh, kw] (JSON: 5 or [5, 3]).</summary>
        [JsonPropertyName("kernel"), JsonConverter(typeof(IntOrArrayConverter))] public required int[] Kernel { get; init; }
        /// <summary>[s] or [sh, sw]; null: 1.</summary>
        [JsonPropertyName("stride"), JsonConverter(typeof(IntOrArrayConverter))] public int[]? Stride { get; init; }
        /// <summary>Zero padding (JSON: "same", "valid", p, [ph, pw] or [top, bottom, left, right]); default none.</summary>
        [JsonPropertyName("padding"), JsonConverter(typeof(PaddingConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
        public Padding Padding { get; init; }
        /// <summary>Whether the layer adds a bias; null: true.</summary>
        [JsonPropertyName("bias")] public bool? Bias { get; init; }
        /// <summary>How to compute it (JSON: "auto", "winograd", "vectorized", "strided", "im2col" or "direct"); null: <see cref="ConvAlgorithm.Auto"/>.</summary>
        [JsonPropertyName("algorithm"), JsonConverter(typeof(EnumNameConverter<ConvAlgorithm>))] public ConvAlgorithm? Algorithm { get; init; }

        /// <inheritdoc/>
        public override Layer Build(int[] inputShape, string name)
        {
            RequireImage(inputShape);
            var (kh, kw) = Pair(Kernel, "kernel");
            var (sh, sw) = Stride is null ? (1, 1) : Pair(Stride, "stride");
            return new Conv2D(inputShape[1], OutChannels, kh, kw, sh, sw, Padding, Bias ?? true, Algorithm ?? ConvAlgorithm.Auto, name);
        }

        /// <inheritdoc/>
        public override long ParameterCount(int[] inputShape)
        {
            if (inputShape.Length != 4 || OutChannels < 1) return 0;
            var (kh, kw) = Pair(Kernel, "kernel");
            return (long)OutChannels * (Math.Max(kh, 0) * (long)Math.Max(kw, 0) * inputShape[1] + (Bias ?? true ? 1 : 0));
        }
    }

    /// <summary>What max and average pooling share: window, stride (default: the window), padding, algorithm.</summary>
    public abstract record Pool2d : LayerSpec
    {
        private protected Pool2d() { }
        internal override string NamePrefix => "pool";
        /// <summary>Window size: [k] or [kh, kw].</summary>
        [JsonPropertyName("kernel"), JsonConverter(typeof(IntOrArrayConverter))] public required int[] Kernel { get; init; }
        /// <summary>[s] or [sh, sw]; null: the window.</summary>
        [JsonPropertyName("stride"), JsonConverter(typeof(IntOrArrayConverter))] public int[]? Stride { get; init; }
        /// <summary>Zero padding, as for <see cref="Conv2d.Padding"/>; default none.</summary>
        [JsonPropertyName("padding"), JsonConverter(typeof(PaddingConverter)), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
        public Padding Padding { get; init; }
        /// <summary>JSON: "direct" or "im2col"; null: <see cref="PoolAlgorithm.Direct"/> (pooling is memory-bound: the direct loops beat unfolding first).</summary>
        [JsonPropertyName("algorithm"), JsonConverter(typeof(EnumNameConverter<PoolAlgorithm>))] public PoolAlgorithm? Algorithm { get; init; }

        /// <inheritdoc/>
        public override Layer Build(int[] inputShape, string name)
        {
            RequireImage(inputShape);
            var (kh, kw) = Pair(Kernel, "kernel");
            var (sh, sw) = Stride is null ? (kh, kw) : Pair(Stride, "stride");
            return Create(kh, kw, sh, sw, Algorithm ?? PoolAlgorithm.Direct, name);
        }

        private protected abstract Layer Create(int kh, int kw, int sh, int sw, PoolAlgorithm algorithm, string name);
    }

    /// <summary>Max pooling (PyTorch's MaxPool2d).</summary>
    public sealed record MaxPool2d : Pool2d
    {
        private protected override string TypeName => "maxpool2d";
        private protected override Layer Create(int kh, int kw, int sh, int sw, PoolAlgorithm algorithm, string name) =>
            new MaxPool2D(kh, kw, sh, sw, Padding, algorithm, name);
    }

    /// <summary>Average pooling that divides by the whole window (PyTorch's AvgPool2d, count_include_pad=True).</summary>
    public sealed record AvgPool2d : Pool2d
    {
        private protected override string TypeName => "avgpool2d";
        private protected override Layer Create(int kh, int kw, int sh, int sw, PoolAlgorithm algorithm, string name) =>
            new AvgPool2D(kh, kw, sh, sw, Padding, algorithm, name);
    }

    /// <summary>Global average pooling: [N, C, H, W] → [N, C].</summary>
    public sealed record GlobalAvgPool2d : LayerSpec
    {
        private protected override string TypeName => "globalavgpool2d";
        internal override string NamePrefix => "gap";
        /// <inheritdoc/>
        public override Layer Build(int[] inputShape, string name)
        {
            RequireImage(inputShape);
            return new Layers.GlobalAvgPool2d(name);
        }
    }

    /// <summary>A fully connected layer (PyTorch's Linear) on [N, features].</summary>
    public sealed record Linear : LayerSpec
    {
        private protected override string TypeName => "linear";
        internal override string NamePrefix => "fc";
        /// <summary>Output features.</summary>
        [JsonPropertyName("out_features")] public required int OutFeatures { get; init; }
        /// <summary>Whether the layer adds a bias; null: true.</summary>
        [JsonPropertyName("bias")] public bool? Bias { get; init; }

        /// <inheritdoc/>
        public override Layer Build(int[] inputShape, string name)
        {
            RequireFlat(inputShape);
            return new Layers.Linear(inputShape[1], OutFeatures, Bias ?? true, name);
        }

        /// <inheritdoc/>
        public override long ParameterCount(int[] inputShape) =>
            inputShape.Length == 2 && OutFeatures > 0 ? (long)OutFeatures * (inputShape[1] + (Bias ?? true ? 1 : 0)) : 0;
    }

    /// <summary>What both batch normalisations share: ε and momentum.</summary>
    public abstract record BatchNorm : LayerSpec
    {
        private protected BatchNorm() { }
        internal override string NamePrefix => "bn";
        /// <summary>ε added to the variance; null: 1e-5.</summary>
        [JsonPropertyName("eps")] public double? Eps { get; init; }
        /// <summary>Weight of the newest batch in the running statistics; null: 0.1.</summary>
        [JsonPropertyName("momentum")] public double? Momentum { get; init; }

        /// <inheritdoc/>
        public override long ParameterCount(int[] inputShape) => inputShape.Length >= 2 ? 4L * inputShape[1] : 0; // weight, bias, running mean and variance
    }

    /// <summary>Batch normalisation of images per channel (PyTorch's BatchNorm2d).</summary>
    public sealed record BatchNorm2d : BatchNorm
    {
        private protected override string TypeName => "batchnorm2d";
        /// <inheritdoc/>
        public override Layer Build(int[] inputShape, string name)
        {
            RequireImage(inputShape);
            return new Layers.BatchNorm2d(inputShape[1], Eps ?? 1e-5, Momentum ?? 0.1, name);
        }
    }

    /// <summary>Batch normalisation of features (PyTorch's BatchNorm1d) on [N, features].</summary>
    public sealed record BatchNorm1d : BatchNorm
    {
        private protected override string TypeName => "batchnorm1d";
        /// <inheritdoc/>
        public override Layer Build(int[] inputShape, string name)
        {
            RequireFlat(inputShape);
            return new Layers.BatchNorm1d(inputShape[1], Eps ?? 1e-5, Momentum ?? 0.1, name);
        }
    }

    /// <summary>max(x, 0).</summary>
    public sealed record Relu : LayerSpec
    {
        private protected override string TypeName => "relu";
        /// <inheritdoc/>
        public override Layer Build(int[] inputShape, string name) => new Layers.Relu(name);
    }

    /// <summary>x for x ≥ 0, slope·x otherwise.</summary>
    public sealed record LeakyRelu : LayerSpec
    {
        private protected override string TypeName => "leakyrelu";
        /// <summary>Slope for negative inputs; null: 0.01.</summary>
        [JsonPropertyName("negative_slope")] public double? NegativeSlope { get; init; }
        /// <inheritdoc/>
        public override Layer Build(int[] inputShape, string name) => new Layers.LeakyRelu(NegativeSlope ?? 0.01, name);
    }

    /// <summary>1 / (1 + e^−x).</summary>
    public sealed record Sigmoid : LayerSpec
    {
        private protected override string TypeName => "sigmoid";
        /// <inheritdoc/>
        public override Layer Build(int[] inputShape, string name) => new Layers.Sigmoid(name);
    }

    /// <summary>tanh(x).</summary>
    public sealed record Tanh : LayerSpec
    {
        private protected override string TypeName => "tanh";
        /// <inheritdoc/>
        public override Layer Build(int[] inputShape, string name) => new Layers.Tanh(name);
    }

    /// <summary>[N, C, H, W] → [N, C·H·W].</summary>
    public sealed record Flatten : LayerSpec
    {
        private protected override string TypeName => "flatten";
        /// <inheritdoc/>
        public override Layer Build(int[] inputShape, string name) => new Layers.Flatten(name);
    }

    /// <summary>Inverted dropout: in training, zero each value with probability p and scale the rest by 1/(1 − p).</summary>
    public sealed record Dropout : LayerSpec
    {
        private protected override string TypeName => "dropout";
        /// <summary>Dropout probability; null: 0.5.</summary>
        [JsonPropertyName("p")] public double? P { get; init; }
        /// <inheritdoc/>
        public override Layer Build(int[] inputShape, string name) => new Layers.Dropout(P ?? 0.5, seed: 0, name);
    }

    private static (int, int) Pair(int[]? v, string field) => v switch
    {
        [int a] => (a, a),
        [int a, int b] => (a, b),
        _ => throw new ArchitectureException($"\"{field}\" must be [n] or [h, w].", field: field),
    };

    private void RequireImage(int[] shape)
    {
        if (shape.Length != 4)
            throw new ArchitectureException($"{Type} needs an image input [N, C, H, W] but gets [{string.Join(", ", shape[1..])}] per sample.");
    }

    private void RequireFlat(int[] shape)
    {
        if (shape.Length != 2)
            throw new ArchitectureException($"{Type} needs a flat input [N, features] but gets [{string.Join(", ", shape[1..])}] per sample; add a flatten layer before it.");
    }
}
