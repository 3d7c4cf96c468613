namespace Jimu.Kernels;

/// <summary>
/// A convolution that needs no input gradient (a network's first layer) followed by BatchNorm in training and its
/// ReLU (and maybe a 2×2 max pool): the convolution's kernel does the two BatchNorm passes that would otherwise
/// stream the whole tensor once more each (<see cref="ConvVectorized"/>). With x the convolution's output:
/// <code>
/// Forward:   per plane (n, o): (Σ(x − K[o]), Σ(x − K[o])²) summed right after the convolution wrote the image, while
///            its planes are in cache (the BatchNorm's statistics pass over memory is gone), with the shift
///            K[o] = b[o] + Σ_{c,i,j} W[o,c,i,j]·mean(x_in[0, c])   ≈ the channel's mean, so that the one pass does not cancel
/// Backward:  BatchNorm's input gradient dx = g·k + x·p + c (<see cref="BatchNormKernel.GradientPlane{S, V}"/>, the same
///            numbers) made one plane at a time into a buffer of one plane and read at once by the weight gradient:
///            dx is never written to memory and read back
/// </code>
/// One a BatchNorm layer, linked to the convolution before it by <see cref="Models.Sequential"/>.
/// </summary>
internal sealed class ConvBatchNorm(BatchNormChannels channels)
{
    /// <summary>The BatchNorm's per-channel numbers: the pivots K are written here, scale, k, p, q read in the backward pass.</summary>
    public BatchNormChannels Channels { get; } = channels;

    /// <summary>
    /// The statistics' per-plane sums of the last fused forward pass, as <see cref="BatchNormKernel"/>'s own
    /// statistics pass leaves them for N·O planes: Σ(x − K) of plane n·O + o at [n·O + o], Σ(x − K)² at [N·O + n·O + o].
    /// </summary>
    public double[] PlaneSums { get; private set; } = [];

    /// <summary>The convolution output whose sums <see cref="PlaneSums"/> holds (set by the convolution, taken by the BatchNorm), or null.</summary>
    public object? SummedFor { get; set; }

    /// <summary>The BatchNorm's tensors of the last backward pass (x, dy, and the pool's winners), from which dx is formed.</summary>
    public BatchNormTensors Gradient { get; set; }

    /// <summary><see cref="PlaneSums"/> with room for <paramref name="planes"/> planes (grown once, then reused).</summary>
    public double[] SumsFor(int planes)
    {
        if (PlaneSums.Length < 2 * planes) PlaneSums = new double[2 * planes];
        return PlaneSums;
    }

    /// <summary>K[o] = b[o] + Σ_{c,i,j} W[o,c,i,j]·mean(x[0, c]) (see the class summary).</summary>
    public void SetPivots(float[] x, float[] weight, float[]? bias, int outChannels, in ConvGeometry g)
    {
        int plane = g.InH * g.InW, channels = g.Channels, taps = g.KernelH * g.KernelW;
        Span<double> mean = stackalloc double[channels];
        for (int c = 0; c < channels; c++) mean[c] = Elementwise.Sum(x.AsSpan(c * plane, plane)) / plane;
        for (int o = 0; o < outChannels; o++)
        {
            double k = bias is null ? 0 : bias[o];
            for (int c = 0; c < channels; c++)
                k += Elementwise.Sum(weight.AsSpan((o * channels + c) * taps, taps)) * mean[c];
            Channels.Pivot[o] = (float)k;
        }
    }
}
