namespace Jimu.Layers;

/// <summary>How <see cref="Conv2D"/> computes its forward and backward passes. All give the same numbers up to rounding.</summary>
public enum ConvAlgorithm
{
    /// <summary>Plain nested loops (<see cref="Kernels.ConvDirect"/>): the reference, slow.</summary>
    Direct,

    /// <summary>Unfold each image with <see cref="Kernels.Im2Col"/> and multiply with <see cref="Kernels.Gemm"/>: any geometry.</summary>
    Im2Col,

    /// <summary>
    /// Winograd (<see cref="Kernels.ConvWinograd"/>) for kernels at stride 1 on machines with vectors (512, 256 or 128 bits): F(4×4, 5×5) for 5×5
    /// kernels with padding up to 4 (6.25 times fewer multiply-adds; F(2×2, 5×5), 2.8 times fewer, for outputs of at most 2×2) and F(4×4, 3×3) for 3×3 kernels with padding up to
    /// 2 (4 times fewer); any other convolution runs as <see cref="Im2Col"/>.
    /// </summary>
    Winograd,

    /// <summary>
    /// The default: <see cref="Winograd"/> where it applies and the layer has at least <see cref="Conv2D.WinogradMinChannels"/>
    /// input channels for a 5×5 kernel, <see cref="Conv2D.Winograd3x3MinChannels"/> for a 3×3 one (below that the transforms
    /// cost more than they save); with fewer, <see cref="Vectorized"/> for a
    /// layer that needs no input gradient (a network's first) where it applies; <see cref="Strided"/> at stride 2;
    /// else <see cref="Im2Col"/>.
    /// </summary>
    Auto,

    /// <summary>
    /// Direct loops vectorised along output rows (<see cref="Kernels.ConvVectorized"/>), for stride 1 and kernels up to
    /// 8 wide on machines with AVX-512: for few input channels, where im2col's product is too shallow to run well. Its
    /// backward pass computes the weight gradient only; a layer that needs an input gradient gets its backward pass
    /// from <see cref="Im2Col"/>. Any other convolution runs as <see cref="Im2Col"/>.
    /// </summary>
    Vectorized,

    /// <summary>
    /// Stride 2 on both axes (downsampling): <see cref="Im2Col"/>'s GEMMs on the same patch matrices, made from the
    /// four phase planes of each channel (<see cref="Kernels.Im2ColStride2"/>) with contiguous copies instead of a
    /// gather of every second value, and folded back the same way. Any other convolution runs as <see cref="Im2Col"/>.
    /// </summary>
    Strided,
}
