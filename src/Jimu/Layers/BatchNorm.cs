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
    private readonly double[] _mean, _variance, _sumDy, _sumDyX;
    private readonly float[] _meanF, _invStd, _scale, _shift, _k, _p, _q;
    private Tensor? _input, _output, _inputGradient;
    private bool _trainedForward;

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
        _mean = new double[channels]; _variance = new double[channels]; _sumDy = new double[channels]; _sumDyX = new double[channels];
        _meanF = new float[channels]; _invStd = new float[channels]; _scale = new float[channels]; _shift = new float[channels];
        _k = new float[channels]; _p = new float[channels]; _q = new float[channels];
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
    /// The 2×2 max pool after the ReLU that this layer (with <see cref="AppliesRelu"/>) hands its normalisation to
    /// (<see cref="BatchNormReluPool"/>), or null. Then Forward computes the statistics and returns its input unchanged;
    /// the pool normalises, rectifies and pools in one pass, passes its output gradient back unchanged, and this
    /// layer's Backward takes that pooled gradient and gives the gradient with respect to its own input.
    /// </summary>
    internal MaxPool2D? FusedPool { get; set; }

    /// <summary>Whether the last forward pass left its normalisation to <see cref="FusedPool"/> (see <see cref="BatchNormReluPool.Pays"/>).</summary>
    internal bool PoolFusedNow { get; private set; }

    /// <summary>scale[c] = γ/√(σ² + ε) of the last forward pass: y = x·scale + shift.</summary>
    internal float[] Scale => _scale;
    /// <summary>shift[c] = β − μ·scale of the last forward pass.</summary>
    internal float[] Shift => _shift;

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

    // x [N, C, S…] → y [same shape]
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        int s = SpatialSize(input.Shape), n = input.Dim(0), c = Channels;
        _input = input;
        _trainedForward = Training;
        if (Training)
        {
            long m = (long)n * s;
            if (m < 2) throw ShapeError("input", null, input.Shape, "more than one value per channel in training", "use a batch of at least 2");
            BatchNormKernel.Statistics(Context, input.Data, n, c, s, _mean, _variance);
            float momentum = (float)Momentum;
            for (int i = 0; i < c; i++)
            {
                _meanF[i] = (float)_mean[i];
                _invStd[i] = (float)(1 / Math.Sqrt(_variance[i] + Eps));
                _runningMean.Data[i] = (1 - momentum) * _runningMean.Data[i] + momentum * _meanF[i];
                _runningVar.Data[i] = (1 - momentum) * _runningVar.Data[i] + momentum * (float)(_variance[i] * m / (m - 1));
            }
            _batchesTracked[0]++;
            _runningMeanBuffer.MarkChanged(); _runningVarBuffer.MarkChanged();
        }
        else
        {
            for (int i = 0; i < c; i++)
            {
                _meanF[i] = _runningMean.Data[i];
                _invStd[i] = (float)(1 / Math.Sqrt(_runningVar.Data[i] + Eps));
            }
        }
        for (int i = 0; i < c; i++)
        {
            _scale[i] = _weight.Value.Data[i] * _invStd[i];
            _shift[i] = _bias.Value.Data[i] - _meanF[i] * _scale[i];
        }
        PoolFusedNow = FusedPool is not null && BatchNormReluPool.Pays(input.Shape[^1]);
        if (PoolFusedNow) return input;   // the pool normalises (see FusedPool)
        var y = Tensor.Ensure(ref _output, input.Shape);
        if (AppliesRelu) BatchNormRelu.Forward(Context, input.Data, y.Data, n, c, s, _scale, _shift);
        else BatchNormKernel.Affine(Context, input.Data, y.Data, n, c, s, _scale, _shift);
        return y;
    }

    // dy [N, C, S…] → dx [same shape]; dγ, dβ
    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGradient)
    {
        var pool = PoolFusedNow ? FusedPool : null;
        // With a fused pool the gradient is the pool's output gradient, [N, C, OH, OW].
        CheckOutputGradient(pool is null ? _output : pool.Output, outputGradient);
        if (_input is null) throw new InvalidOperationException($"{Who}: Backward called before Forward.");
        int s = SpatialSize(_input.Shape), n = _input.Dim(0), c = Channels;
        if (pool is not null)
            BatchNormReluPool.Sums(Context, _input.Data, outputGradient.Data, pool.Argmax, n, pool.LastGeometry, _meanF, _sumDy, _sumDyX);
        else if (AppliesRelu)
            BatchNormRelu.Sums(Context, _input.Data, outputGradient.Data, n, c, s, _scale, _shift, _meanF, _sumDy, _sumDyX);
        else
            BatchNormKernel.Sums(Context, _input.Data, outputGradient.Data, n, c, s, _meanF, _sumDy, _sumDyX);
        double m = (double)n * s;
        for (int i = 0; i < c; i++)
        {
            double invStd = _invStd[i], sumDyXhat = _sumDyX[i] * invStd;
            _weight.Grad.Data[i] = (float)sumDyXhat;
            _bias.Grad.Data[i] = (float)_sumDy[i];
            double k = _weight.Value.Data[i] * invStd;
            _k[i] = (float)k;
            // Training: x̂·dγ/M = (x − μ)·invStd²·Σdy(x − μ)/M; in evaluation μ and σ are constants.
            _p[i] = _trainedForward ? (float)(-k * invStd * sumDyXhat / m) : 0f;
            _q[i] = _trainedForward ? (float)(-k * _sumDy[i] / m) : 0f;
        }
        if (!InputGradientRequired) return null;
        var dx = Tensor.Ensure(ref _inputGradient, _input.Shape);
        if (pool is not null)
            BatchNormReluPool.InputGradient(Context, _input.Data, outputGradient.Data, pool.Argmax, dx.Data, n, pool.LastGeometry, _meanF, _k, _p, _q);
        else if (AppliesRelu)
            BatchNormRelu.InputGradient(Context, _input.Data, outputGradient.Data, dx.Data, n, c, s, _scale, _shift, _meanF, _k, _p, _q);
        else
            BatchNormKernel.InputGradient(Context, _input.Data, outputGradient.Data, dx.Data, n, c, s, _meanF, _k, _p, _q);
        return dx;
    }

    /// <inheritdoc/>
    public override string Describe() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{GetType().Name} {Channels}, eps={Eps}, momentum={Momentum}");
}
