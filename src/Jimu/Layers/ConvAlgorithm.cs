namespace Jimu.Layers;

/// <summary>How <see cref="Conv2D"/> computes its forward and backward passes. Both give the same numbers up to rounding.</summary>
public enum ConvAlgorithm
{
    /// <summary>Plain nested loops (<see cref="Kernels.ConvDirect"/>): the reference, slow.</summary>
    Direct,

    /// <summary>Unfold each image with <see cref="Kernels.Im2Col"/> and multiply with <see cref="Kernels.Gemm"/>: the fast path.</summary>
    Im2Col,
}
