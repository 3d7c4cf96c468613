namespace Jimu.Layers;

/// <summary>How <see cref="Conv2D"/> computes its forward and backward passes. All give the same numbers up to rounding.</summary>
public enum ConvAlgorithm
{
    /// <summary>Plain nested loops (<see cref="Kernels.ConvDirect"/>): the reference, slow.</summary>
    Direct,

    /// <summary>Unfold each image with <see cref="Kernels.Im2Col"/> and multiply with <see cref="Kernels.Gemm"/>: any geometry.</summary>
    Im2Col,

    /// <summary>
    /// Winograd F(2×2, 5×5) (<see cref="Kernels.ConvWinograd"/>): 2.8 times fewer multiply-adds, for 5×5 kernels at stride 1
    /// with padding up to 4 on machines with AVX-512; any other convolution runs as <see cref="Im2Col"/>.
    /// </summary>
    Winograd,

    /// <summary>The default: <see cref="Winograd"/> where it applies and the layer has at least
    /// <see cref="Conv2D.WinogradMinChannels"/> input channels (below that the transforms cost more than they save), else <see cref="Im2Col"/>.</summary>
    Auto,
}
