namespace Jimu.Kernels;

/// <summary>
/// Winograd's transformed weights Uᵀ, packed [ξ][block of 32 rows][k][32], and the weights they were made from: a
/// convolution layer's state (<see cref="ConvCache"/>), kept between calls so that unchanged weights (inference)
/// are not transformed again. <see cref="WinogradForward{T}"/> remakes them when the weights, the kernel size, the
/// rotation or the row count differ.
/// </summary>
internal sealed class WinogradWeights
{
    public AlignedBuffer? U;
    public float[] Source = [];
    public bool Rotated;
    public int Rows, Kernel;
}
