namespace Jimu.Kernels;

/// <summary>
/// Winograd's transformed weights Uᵀ, packed [ξ][block of NR rows][k][NR] (NR: two vectors, 32 at 512 bits), and the
/// weights they were made from: a convolution layer's state (<see cref="ConvCache"/>), kept between calls so that unchanged weights (inference)
/// are not transformed again. <see cref="WinogradForward{T, S, V}"/> remakes them when the weights, the kernel size, the
/// rotation, the row count or the panel width (the vector width it was made for) differ.
/// </summary>
internal sealed class WinogradWeights
{
    public AlignedBuffer? U;
    public float[] Source = [];
    public bool Rotated;
    public int Rows, Kernel, PanelWidth;
}
