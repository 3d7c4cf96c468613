using Jimu.Layers;

namespace Jimu.Kernels;

/// <summary>
/// One convolution algorithm, the contract every one of them meets (registered in <see cref="ConvStrategies"/>).
/// Shapes, with batch N and the geometry g (C = g.Channels, O = outChannels):
/// <code>
/// Forward:          y[N, O, OH, OW] = conv(x[N, C, H, W], w[O, C, kh, kw]) + b[O]
/// BackwardWeights:  dW[O, C, kh, kw] = Σ_n dY ⋆ x;   db[O] = Σ_{n,i,j} dY       (set, not added to)
/// BackwardInput:    dx[N, C, H, W] = the full correlation of dY with rot180(w)   (set)
/// </code>
/// Every method may run only where <see cref="Supports"/> holds. Strategies are stateless singletons: what a layer
/// keeps between calls for them (Winograd's transformed weights) is its <see cref="ConvCache"/>, passed in.
/// </summary>
internal abstract class ConvStrategy
{
    /// <summary>The algorithm this is, as a layer names it.</summary>
    public abstract ConvAlgorithm Algorithm { get; }

    /// <summary>Whether it can run geometry <paramref name="g"/> on this machine (instruction sets included).</summary>
    public abstract bool Supports(in ConvGeometry g);

    /// <summary>
    /// Whether <see cref="ConvAlgorithm.Auto"/> takes it for <paramref name="g"/> (asked only where it
    /// <see cref="Supports"/> it), given whether the layer needs an input gradient.
    /// </summary>
    public abstract bool PreferredFor(in ConvGeometry g, bool inputGradientRequired);

    /// <summary>y = conv(x, w) + bias (no bias when null).</summary>
    public abstract void Forward(ComputeContext ctx, ConvCache cache, float[] x, float[] weight, float[]? bias, float[] y,
        int batch, int outChannels, in ConvGeometry g);

    /// <summary>dW and (when given) db, the batch sums.</summary>
    public abstract void BackwardWeights(ComputeContext ctx, ConvCache cache, float[] x, float[] dy, float[] dWeight, float[]? dBias,
        int batch, int outChannels, in ConvGeometry g);

    /// <summary>dx from dY and the weights.</summary>
    public abstract void BackwardInput(ComputeContext ctx, ConvCache cache, float[] dy, float[] weight, float[] dx,
        int batch, int outChannels, in ConvGeometry g);

    /// <summary>Both gradients (dx only when given): <see cref="BackwardWeights"/>, then <see cref="BackwardInput"/>, unless fused.</summary>
    public virtual void Backward(ComputeContext ctx, ConvCache cache, float[] x, float[] weight, float[] dy, float[] dWeight, float[]? dBias,
        float[]? dx, int batch, int outChannels, in ConvGeometry g)
    {
        BackwardWeights(ctx, cache, x, dy, dWeight, dBias, batch, outChannels, g);
        if (dx is not null) BackwardInput(ctx, cache, dy, weight, dx, batch, outChannels, g);
    }

    /// <summary>
    /// Whether <paramref name="g"/>'s forward pass and weight gradient can also do the passes of the BatchNorm after
    /// the convolution (<see cref="ConvBatchNorm"/>: a layer that needs no input gradient).
    /// </summary>
    public virtual bool FusesBatchNorm(in ConvGeometry g) => false;

    /// <summary><see cref="Forward"/>, also summing each output plane's statistics for the BatchNorm <paramref name="bn"/> (only where <see cref="FusesBatchNorm"/>).</summary>
    public virtual void ForwardWithBatchNorm(ComputeContext ctx, ConvCache cache, float[] x, float[] weight, float[]? bias, float[] y,
        int batch, int outChannels, in ConvGeometry g, ConvBatchNorm bn) =>
        throw new NotSupportedException($"The {Algorithm} convolution does not do a BatchNorm's passes.");

    /// <summary><see cref="BackwardWeights"/> with dY the input gradient of the BatchNorm <paramref name="bn"/>, formed as it is read (only where <see cref="FusesBatchNorm"/>).</summary>
    public virtual void BackwardWeightsThroughBatchNorm(ComputeContext ctx, ConvCache cache, float[] x, ConvBatchNorm bn, float[] dWeight, float[]? dBias,
        int batch, int outChannels, in ConvGeometry g) =>
        throw new NotSupportedException($"The {Algorithm} convolution does not do a BatchNorm's passes.");

    /// <inheritdoc/>
    public override string ToString() => Algorithm.ToString();
}

/// <summary>What a convolution layer keeps between calls for the strategies: derived from its weights, never the call's scratch.</summary>
internal sealed class ConvCache
{
    /// <summary>Winograd's transformed weights for the forward pass and for the input gradient (rotated).</summary>
    public readonly WinogradWeights Winograd = new(), WinogradRotated = new();

    /// <summary>
    /// The version of the weights the next calls pass (the layer's <c>Parameter.Version</c>), which decides whether
    /// what is derived from them is still good; <see cref="WinogradWeights.Unversioned"/> (the default): unknown, remake it each call.
    /// </summary>
    public long WeightVersion
    {
        get => Winograd.WeightVersion;
        set { Winograd.WeightVersion = value; WinogradRotated.WeightVersion = value; }
    }
}
