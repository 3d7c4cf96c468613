using Jimu.Kernels;
using Jimu.Tensors;

namespace Jimu.Layers;

/// <summary>
/// 2-D convolution over NCHW batches (cross-correlation, as every framework computes it: no kernel flip).
/// <code>
/// x [N, C, H, W], weight [O, C, kh, kw], bias [O]  →  y [N, O, OH, OW]
/// y[n,o,oh,ow] = bias[o] + Σ_{c,i,j} weight[o,c,i,j] · x[n, c, oh·sh − padTop + i, ow·sw − padLeft + j]
/// OH = floor((H + padTop + padBottom − kh) / sh) + 1, likewise OW
/// </code>
/// Backward returns sums over the batch (dW = Σ_n …): dividing by the batch size is the loss's job.
/// Every <see cref="ConvAlgorithm"/> gives the same numbers up to rounding; each is a strategy registered in
/// <see cref="ConvStrategies"/>, where <see cref="ConvAlgorithm.Auto"/>, the default, finds the fastest that applies.
/// </summary>
public sealed class Conv2D : Layer
{
    private readonly Parameter _weight;
    private readonly Parameter? _bias;

    // Buffers reused across calls: the output and dx; what the strategies derive from the weights; scratch memory is the context's.
    private Tensor? _output, _inputGradient;
    private readonly ConvCache _cache = new();
    // What Backward needs from the last Forward.
    private Tensor? _input;
    private ConvGeometry _geometry;
    private ConvStrategy _used = ConvStrategies.Im2Col;
    // The BatchNorm link when the last forward pass did its passes (ConvBatchNorm), else null.
    private ConvBatchNorm? _fused;

    /// <summary>A convolution with a kh×kw kernel and stride (sh, sw); weights start at zero until initialised or loaded.</summary>
    public Conv2D(int inChannels, int outChannels, int kernelH, int kernelW, int strideH = 1, int strideW = 1,
        Padding padding = default, bool bias = true, ConvAlgorithm algorithm = ConvAlgorithm.Auto, string name = "conv")
        : base(name)
    {
        if (inChannels < 1 || outChannels < 1)
            throw new ArgumentOutOfRangeException(inChannels < 1 ? nameof(inChannels) : nameof(outChannels),
                $"Conv2D '{name}': channel counts must be at least 1, got {inChannels} in and {outChannels} out.");
        ConvGeometry.ValidateHyperParameters($"Conv2D '{name}'", kernelH, kernelW, strideH, strideW);
        if (!Enum.IsDefined(algorithm))
            throw new ArgumentOutOfRangeException(nameof(algorithm), $"Conv2D '{name}': unknown algorithm {algorithm}.");

        InChannels = inChannels; OutChannels = outChannels;
        KernelH = kernelH; KernelW = kernelW;
        StrideH = strideH; StrideW = strideW;
        Padding = padding;
        Algorithm = algorithm;
        _weight = new Parameter("weight", outChannels, inChannels, kernelH, kernelW);
        _bias = bias ? new Parameter("bias", outChannels) : null;
        Parameters = _bias is null ? [_weight] : [_weight, _bias];
    }

    /// <summary>
    /// A square kernel and stride: PyTorch's Conv2d(in, out, kernel_size=k, stride=s, padding=p).
    /// Padding comes before stride so that four ints always mean the general (kh, kw) constructor;
    /// name the stride (<c>stride: 2</c>) when leaving the padding at its default.
    /// </summary>
    public Conv2D(int inChannels, int outChannels, int kernel, Padding padding = default, int stride = 1,
        bool bias = true, ConvAlgorithm algorithm = ConvAlgorithm.Auto, string name = "conv")
        : this(inChannels, outChannels, kernel, kernel, stride, stride, padding, bias, algorithm, name) { }

    /// <summary>Input channels C.</summary>
    public int InChannels { get; }
    /// <summary>Output channels O.</summary>
    public int OutChannels { get; }
    /// <summary>Kernel height kh.</summary>
    public int KernelH { get; }
    /// <summary>Kernel width kw.</summary>
    public int KernelW { get; }
    /// <summary>Vertical stride sh.</summary>
    public int StrideH { get; }
    /// <summary>Horizontal stride sw.</summary>
    public int StrideW { get; }
    /// <summary>The padding (explicit, or TensorFlow's "same" / "valid").</summary>
    public Padding Padding { get; }
    /// <summary>Whether the layer adds a bias.</summary>
    public bool HasBias => _bias is not null;
    /// <summary>Which algorithm Forward and Backward use; may be changed between calls.</summary>
    public ConvAlgorithm Algorithm { get; set; }

    /// <summary>Input channels from which <see cref="ConvAlgorithm.Auto"/> prefers Winograd (F(4×4, 5×5), or F(2×2, 5×5) for tiny outputs) to im2col for 5×5 kernels.</summary>
    public const int WinogradMinChannels = ConvStrategies.WinogradMinChannels;

    /// <summary>
    /// Input channels from which <see cref="ConvAlgorithm.Auto"/> prefers Winograd F(4×4, 3×3) to im2col: a 3×3 kernel
    /// has fewer taps to save on, so the transforms need more channels to pay off (batch 64, 14×14, forward + backward:
    /// 0.9× im2col's speed at 4 channels, 2.1× at 8, 1.9–2.2× at 32 and 64).
    /// </summary>
    public const int Winograd3x3MinChannels = ConvStrategies.Winograd3x3MinChannels;

    /// <summary>The strategy that runs for geometry <paramref name="g"/>.</summary>
    private ConvStrategy Resolve(in ConvGeometry g) => ConvStrategies.Resolve(Algorithm, g, InputGradientRequired);

    /// <summary>The algorithm that the next forward pass on an input of shape <paramref name="inputShape"/> will use.</summary>
    public ConvAlgorithm AlgorithmFor(ReadOnlySpan<int> inputShape) => Resolve(Geometry(inputShape)).Algorithm;

    /// <summary>
    /// The BatchNorm (with its ReLU) right after this layer, whose statistics pass and input-gradient pass this layer's
    /// kernel does in training (<see cref="ConvBatchNorm"/>), or null. <see cref="Models.Sequential"/> sets it for a
    /// layer that needs no input gradient; it applies where the strategy can (<see cref="BatchNormFusedNow"/>).
    /// </summary>
    internal BatchNorm? FusedBatchNorm { get; set; }

    /// <summary>Whether the last forward pass did the passes of <see cref="FusedBatchNorm"/>.</summary>
    internal bool BatchNormFusedNow => _fused is not null;

    /// <summary>[out, in, kh, kw]</summary>
    public Parameter Weight => _weight;
    /// <summary>[out], or null when the layer has no bias.</summary>
    public Parameter? Bias => _bias;

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        var g = Geometry(inputShape);
        return [inputShape[0], OutChannels, g.OutH, g.OutW];
    }

    /// <summary>Validates an input shape (4-D, channel count, kernel fits the padded input) and resolves the padding.</summary>
    private ConvGeometry Geometry(ReadOnlySpan<int> s)
    {
        if (s.Length != 4)
            throw ShapeError("input", [ShapeException.Any, InChannels, ShapeException.Any, ShapeException.Any], s, "4-D NCHW");
        if (s[1] != InChannels)
            throw ShapeError("input", [ShapeException.Any, InChannels, ShapeException.Any, ShapeException.Any], s, $"{InChannels} input channels");
        return ConvGeometry.Create(Who, this, s, KernelH, KernelW, StrideH, StrideW, Padding);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var g = Geometry(input.Shape);
        int batch = input.Dim(0);
        var y = Tensor.Ensure(ref _output, batch, OutChannels, g.OutH, g.OutW);
        _input = input;
        _geometry = g;
        _used = Resolve(g);
        _cache.WeightVersion = _weight.Version;
        _fused = FusedBatchNorm is { Training: true } bn && Training && !InputGradientRequired && _used.FusesBatchNorm(g) ? bn.ConvLink : null;
        if (_fused is not null) _used.ForwardWithBatchNorm(Context, _cache, input.Data, _weight.Value.Data, _bias?.Value.Data, y.Data, batch, OutChannels, g, _fused);
        else _used.Forward(Context, _cache, input.Data, _weight.Value.Data, _bias?.Value.Data, y.Data, batch, OutChannels, g);
        // The BatchNorm takes the statistics only for this very output.
        if (FusedBatchNorm is { } b) b.ConvLink.SummedFor = _fused is null ? null : y;
        return y;
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGradient)
    {
        if (_input is null || _output is null)
            throw new InvalidOperationException($"Conv2D '{Name}': Backward called before Forward.");
        CheckOutputGradient(_output, outputGradient);
        var g = _geometry;
        int batch = _input.Dim(0);
        var dx = InputGradientRequired ? Tensor.Ensure(ref _inputGradient, _input.Shape) : null;

        // The strategy of the forward pass.
        _cache.WeightVersion = _weight.Version;
        if (_fused is not null)
        {
            // The BatchNorm passed back this layer's own output: its input gradient is formed here, plane by plane.
            if (!ReferenceEquals(outputGradient, _output))
                throw new InvalidOperationException($"Conv2D '{Name}': its BatchNorm's passes ran fused, so Backward takes the gradient that BatchNorm's Backward returns.");
            _used.BackwardWeightsThroughBatchNorm(Context, _cache, _input.Data, _fused, _weight.Grad.Data, _bias?.Grad.Data, batch, OutChannels, g);
            return null;
        }
        _used.Backward(Context, _cache, _input.Data, _weight.Value.Data, outputGradient.Data, _weight.Grad.Data, _bias?.Grad.Data, dx?.Data,
            batch, OutChannels, g);
        return dx;
    }

    /// <inheritdoc/>
    public override string Describe()
    {
        string kernel = $"{KernelH}x{KernelW}";
        string stride = StrideH == StrideW ? $"{StrideH}" : $"{StrideH}x{StrideW}";
        return $"Conv2D {InChannels}→{OutChannels}, {kernel}, stride {stride}, padding {Padding}{(HasBias ? "" : ", no bias")}";
    }
}
