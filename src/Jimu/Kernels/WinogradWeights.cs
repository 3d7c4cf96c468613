namespace Jimu.Kernels;

/// <summary>
/// Winograd's transformed weights Uᵀ, packed [ξ][block of NR rows][k][NR] (NR: two vectors, 32 at 512 bits), and what
/// they were made from: a
/// convolution layer's state (<see cref="ConvCache"/>), kept between calls so that unchanged weights (inference)
/// are not transformed again. <see cref="WinogradForward{T, S, V}"/> remakes them unless <see cref="Holds"/>: the same
/// weight array at the same version (<see cref="WeightVersion"/>, the layer's <c>Parameter.Version</c>), kernel and tile size,
/// rotation, shape and panel width (the vector width they were packed for). Without a version (<see cref="Unversioned"/>: a caller that does not track its writes) they
/// are remade on every call.
/// </summary>
internal sealed class WinogradWeights
{
    /// <summary>The weights' version is unknown: nothing is reused.</summary>
    public const long Unversioned = -1;

    public AlignedBuffer? U;

    /// <summary>The version of the weights the next call passes; set by the owner (<see cref="ConvCache.WeightVersion"/>).</summary>
    public long WeightVersion = Unversioned;

    // What U was made from.
    private float[]? _source;
    private long _sourceVersion = Unversioned;
    private bool _rotated;
    private int _rows, _channels, _kernel, _tile, _panel;

    /// <summary>Whether U was made from <paramref name="weight"/> at <see cref="WeightVersion"/> with this layout.</summary>
    public bool Holds(float[] weight, bool rotate, int rows, int channels, int kernel, int tile, int panel) =>
        U is not null && WeightVersion != Unversioned && _sourceVersion == WeightVersion && ReferenceEquals(_source, weight)
        && _rotated == rotate && _rows == rows && _channels == channels && _kernel == kernel && _tile == tile && _panel == panel;

    /// <summary>Records that U was just made from <paramref name="weight"/> at <see cref="WeightVersion"/>.</summary>
    public void MadeFrom(float[] weight, bool rotate, int rows, int channels, int kernel, int tile, int panel)
    {
        _source = weight; _sourceVersion = WeightVersion;
        _rotated = rotate; _rows = rows; _channels = channels; _kernel = kernel; _tile = tile; _panel = panel;
    }
}
