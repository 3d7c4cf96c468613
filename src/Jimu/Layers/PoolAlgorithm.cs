namespace Jimu.Layers;

/// <summary>How a pooling layer computes its forward and backward passes. Both give the same results.</summary>
public enum PoolAlgorithm
{
    /// <summary>Plain loops over every output position and its window (the reference).</summary>
    Direct,
    /// <summary>Unfold the windows with <see cref="Kernels.Im2Col"/>, reduce over the kh·kw rows, and fold the gradient back.</summary>
    Im2Col,
}
