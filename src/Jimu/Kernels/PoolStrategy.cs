using Jimu.Layers;

namespace Jimu.Kernels;

/// <summary>
/// One pooling algorithm, the contract every one of them meets (registered in <see cref="PoolStrategies"/>). Per
/// window of the geometry g over x [N, C, H, W] → y [N, C, OH, OW]:
/// <code>
/// MaxForward:   y = max over the window (then max(y, 0) with relu); argmax = where, in the strategy's own indexing
/// MaxBackward:  dx = dy routed to each window's argmax (as recorded by the same strategy's MaxForward), summed
/// AvgForward:   y = Σ window / (kh·kw)   (padding counts: count_include_pad)
/// AvgBackward:  dx = Σ over the windows containing each input of dy / (kh·kw)
/// </code>
/// Outputs are set, not added to. Strategies are stateless singletons.
/// </summary>
internal abstract class PoolStrategy
{
    /// <summary>The algorithm this is, as a layer names it.</summary>
    public abstract PoolAlgorithm Algorithm { get; }

    /// <summary>Whether it can run geometry <paramref name="g"/> on this machine.</summary>
    public abstract bool Supports(in ConvGeometry g);

    /// <summary>y and argmax of max pooling; with <paramref name="relu"/>, y = relu(maxpool(x)) and no gradient where y ≤ 0.</summary>
    public abstract void MaxForward(ComputeContext ctx, float[] x, float[] y, int[] argmax, int batch, in ConvGeometry g, bool relu);

    /// <summary>dx of max pooling from dy and the argmax of this strategy's forward pass.</summary>
    public abstract void MaxBackward(ComputeContext ctx, float[] dy, int[] argmax, float[] dx, int batch, in ConvGeometry g);

    /// <summary>y of average pooling.</summary>
    public abstract void AvgForward(ComputeContext ctx, float[] x, float[] y, int batch, in ConvGeometry g);

    /// <summary>dx of average pooling.</summary>
    public abstract void AvgBackward(ComputeContext ctx, float[] dy, float[] dx, int batch, in ConvGeometry g);

    /// <inheritdoc/>
    public override string ToString() => Algorithm.ToString();
}
