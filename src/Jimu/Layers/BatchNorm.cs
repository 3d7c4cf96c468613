using Jimu.Kernels;
using Jimu.Tensors;

namespace Jimu.Layers;

/// <summary>
/// Batch normalisation over the channels of x [N, C, S…] (PyTorch's BatchNorm1d/2d; see <see cref="BatchNorm2d"/>
/// and <see cref="BatchNorm1d"/> for the shapes). Per channel c, over its M = N·S values:
/// <code>
/// training:   μ = Σx / M,  σ² = Σ(x − μ)² / M (biased),  x̂ = (x − μ) / √(σ² + ε),  y = γ·x̂ + β
///             running_mean ← (1 − m)·running_mean + m·μ
///             running_var  ← (1 − m)·running_var  + m·σ²·M / (M − 1)   (unbiased),  num_batches_tracked += 1
/// evaluation: y = γ·(x − running_mean) / √(running_var + ε) + β
/// backward (training):   dβ = Σdy,  dγ = Σdy·x̂,  dx = γ/√(σ² + ε) · (dy − dβ/M − x̂·dγ/M)
/// backward (evaluation): dβ = Σdy,  dγ = Σdy·x̂,  dx = γ/√(running_var + ε) · dy
/// </code>
/// Parameters <c>weight</c> (γ, initially 1) and <c>bias</c> (β, initially 0); buffers <c>running_mean</c> (0),
/// <c>running_var</c> (1) and <c>num_batches_tracked</c> (int64), as in PyTorch's state_dict.
/// </summary>
public abstract class BatchNorm : Layer
{
    private readonly Parameter _weight, _bias;
    private readonly Tensor _runningMean, _runningVar;
    private readonly LayerBuffer _runningMeanBuffer, _runningVarBuffer;
    private readonly long[] _batchesTracked = new long[1];
    private readonly BatchNormChannels _channels;
    // With a fused pool: each window's winner and the input there (BatchNormReluPool), for the backward pass.
    private float[] _winner = [], _winnerX = [];
    private Tensor? _input, _output, _inputGradient;
    private bool _trainedForward;
    // Whether the last forward pass took its statistics from the convolution before it (ConvLink).
    private bool _convFused;

    /// <summary>Batch normalisation over <paramref name="channels"/> channels with PyTorch's eps and momentum.</summary>
    protected BatchNorm(int channels, double eps, double momentum, string name) : base(name)
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), $"BatchNorm '{name}': channels must be at least 1, got {channels}.");
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), $"BatchNorm '{name}': eps must be positive, got {eps}.");
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum), $"BatchNorm '{name}': momentum must be in [0, 1], got {momentum}.");
        Channels = channels; Eps = eps; Momentum = momentum;
        _weight = new Parameter("weight", channels);
        _bias = new Parameter("bias", channels);
        _runningMean = new Tensor(channels);
        _runningVar = new Tensor(channels);
        _runningMeanBuffer = new LayerBuffer("running_mean", _runningMean);
        _runningVarBuffer = new LayerBuffer("running_var", _runningVar);
        Buffers = [_runningMeanBuffer, _runningVarBuffer, new LayerBuffer("num_batches_tracked", _batchesTracked)];
        _channels = new BatchNormChannels(channels);
        ConvLink = new ConvBatchNorm(_channels);
        ResetParameters();
    }

    /// <summary>Number of channels (features) normalised.</summary>
    public int Channels { get; }
    /// <summary>ε added to the variance.</summary>
    public double Eps { get; }
    /// <summary>Weight m of the newest batch in the running statistics (PyTorch's momentum, 0.1 by default).</summary>
    public double Momentum { get; }

    /// <summary>γ [C], initially 1.</summary>
    public Parameter Weight => _weight;
    /// <summary>β [C], initially 0.</summary>
    public Parameter Bias => _bias;
    /// <summary>Running mean [C] used in evaluation.</summary>
    public Tensor RunningMean => _runningMean;
    /// <summary>Running (unbiased) variance [C] used in evaluation.</summary>
    public Tensor RunningVar => _runningVar;

    /// <summary>Training batches seen (PyTorch's num_batches_tracked).</summary>
    public long BatchesTracked { get => _batchesTracked[0]; set => _batchesTracked[0] = value; }

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => [_weight, _bias];
    /// <inheritdoc/>
    public override IReadOnlyList<LayerBuffer> Buffers { get; }

    /// <summary>
    /// Whether the layer also applies the ReLU that follows it: y = max(BN(x), 0), and Backward takes the gradient
    /// with respect to the ReLU's output (<see cref="BatchNormRelu"/>: the ReLU's two passes over the tensor are gone).
    /// <see cref="Models.Sequential"/> sets it and then skips that ReLU.
    /// </summary>
    internal bool AppliesRelu { get; set; }

    /// <summary>
    /// The 2×2 max pool after the ReLU that this layer (with <see cref="AppliesRelu"/>) also applies
    /// (<see cref="BatchNormReluPool"/>), or null. Then Forward normalises, rectifies and pools in one pass, writes the
    /// pool's output and returns its own input unchanged, which the pool takes and returns its output for; the pool
    /// passes its output gradient back unchanged, and this layer's Backward takes that pooled gradient and gives the
    /// gradient with respect to its own input.
    /// </summary>
    internal MaxPool2D? FusedPool { get; set; }

    /// <summary>
    /// What a convolution before this layer that needs no input gradient shares with it (<see cref="ConvBatchNorm"/>,
    /// <see cref="Conv2D.FusedBatchNorm"/>): in training it sums the statistics as it makes its output, and forms this
    /// layer's input gradient as its weight gradient reads it. Then Forward skips its statistics pass, and Backward
    /// makes dγ, dβ and the gradient's coefficients but no dx, and returns its own input, which the convolution
    /// takes as the sign that it forms dx.
    /// </summary>
    internal ConvBatchNorm ConvLink { get; }

    /// <summary>Whether the last forward pass pooled for <see cref="FusedPool"/> (its geometry fits, <see cref="BatchNormReluPool.Fits"/>).</summary>
    internal bool PoolFusedNow { get; private set; }

    /// <summary>PyTorch's reset: γ = 1, β = 0, running mean 0, running variance 1, no batches tracked.</summary>
    public void ResetParameters()
    {
        _weight.Value.Span.Fill(1); _bias.Value.Clear();
        _runningMean.Clear(); _runningVar.Span.Fill(1);
        _batchesTracked[0] = 0;
        MarkChanged();
    }

    /// <summary>
    /// Records that γ, β or the running statistics were written directly (<see cref="Parameter.MarkChanged"/> of
    /// both parameters and <see cref="LayerBuffer.MarkChanged"/> of both statistics), so that a model that folds this
    /// BatchNorm into the layer before it refolds.
    /// </summary>
    public void MarkChanged()
    {
        _weight.MarkChanged(); _bias.MarkChanged();
        _runningMeanBuffer.MarkChanged(); _runningVarBuffer.MarkChanged();
    }

    /// <summary>
    /// A number that changes whenever γ, β or a running statistic does (the sum of their versions, each of which only
    /// grows): what evaluation reads.
    /// </summary>
    internal long EvaluationVersion => _weight.Version + _bias.Version + _runningMeanBuffer.Version + _runningVarBuffer.Version;

    /// <summary>Checks the input's shape; returns the spatial size S (values per sample and channel).</summary>
    protected abstract int SpatialSize(ReadOnlySpan<int> inputShape);

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        SpatialSize(inputShape);
        return inputShape.ToArray();
    }

    // x [N, C, S…] → y [same shape] (pooled with FusedPool)
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        int s = SpatialSize(input.Shape), n = input.Dim(0), c = Channels;
        _input = input;
        _trainedForward = Training;
        long m = (long)n * s;
        if (Training && m < 2)
            throw ShapeError("input", null, input.Shape, "more than one value per channel in training", "use a batch of at least 2");
        if (!Training)
            for (int i = 0; i < c; i++)
                _channels.SetAffine(i, _runningMean.Data[i], _runningVar.Data[i], Eps, _weight.Value.Data[i], _bias.Value.Data[i]);
        var pool = FusedPool;
        PoolFusedNow = pool is not null && pool.FitsBatchNorm(input.Shape);
        Tensor y;
        var activation = AppliesRelu ? BatchNormActivation.Relu : BatchNormActivation.None;
        if (PoolFusedNow)
        {
            y = pool!.BeginFusedForward(input);
            if (_winner.Length < y.Length) { _winner = new float[y.Length]; _winnerX = new float[y.Length]; }
            activation = BatchNormActivation.ReluPool;
        }
        else y = Tensor.Ensure(ref _output, input.Shape);
        var t = new BatchNormTensors
        {
            X = input.Data, N = n, Channels = c, S = s, Activation = activation, Y = y.Data,
            Pool = PoolFusedNow ? pool!.LastGeometry : default, Winner = _winner, WinnerX = _winnerX,
        };
        // The convolution before summed the statistics of exactly this input (ConvLink): the statistics pass is skipped.
        _convFused = Training && AppliesRelu && ReferenceEquals(ConvLink.SummedFor, input);
        ConvLink.SummedFor = null;
        BatchNormKernel.Forward(Context, t, _channels, Training, _weight.Value.Data, _bias.Value.Data, Eps, _convFused ? ConvLink.PlaneSums : null);
        if (Training)
        {
            float momentum = (float)Momentum;
            for (int i = 0; i < c; i++)
            {
                _runningMean.Data[i] = (1 - momentum) * _runningMean.Data[i] + momentum * _channels.MeanF[i];
                _runningVar.Data[i] = (1 - momentum) * _runningVar.Data[i] + momentum * (float)(_channels.Variance[i] * m / (m - 1));
            }
            _batchesTracked[0]++;
            _runningMeanBuffer.MarkChanged(); _runningVarBuffer.MarkChanged();
        }
        return PoolFusedNow ? input : y;   // with a fused pool, the pool returns y
    }

    // dy [N, C, S…] (pooled with FusedPool) → dx [N, C, S…]; dγ, dβ
    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGradient)
    {
        var pool = PoolFusedNow ? FusedPool : null;
        CheckOutputGradient(pool is null ? _output : pool.Output, outputGradient);
        if (_input is null) throw new InvalidOperationException($"{Who}: Backward called before Forward.");
        int s = SpatialSize(_input.Shape), n = _input.Dim(0), c = Channels;
        var dx = InputGradientRequired && !_convFused ? Tensor.Ensure(ref _inputGradient, _input.Shape) : null;
        var t = new BatchNormTensors
        {
            X = _input.Data, N = n, Channels = c, S = s, Dy = outputGradient.Data, Dx = dx?.Data,
            Activation = pool is not null ? BatchNormActivation.ReluPool : AppliesRelu ? BatchNormActivation.Relu : BatchNormActivation.None,
            Pool = pool is not null ? pool.LastGeometry : default, Winner = _winner, WinnerX = _winnerX,
        };
        BatchNormKernel.Backward(Context, t, _channels, _trainedForward, _weight.Value.Data, _weight.Grad.Data, _bias.Grad.Data);
        if (!_convFused) return dx;
        // The convolution forms dx from these, plane by plane, as its weight gradient reads it.
        ConvLink.Gradient = t;
        return _input;
    }

    /// <inheritdoc/>
    public override string Describe() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{GetType().Name} {Channels}, eps={Eps}, momentum={Momentum}");
}
