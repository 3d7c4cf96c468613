namespace Jimu.Kernels;

/// <summary>
/// The per-channel numbers of one batch normalisation, made between the passes over a channel's values by
/// <see cref="BatchNormKernel"/> (in training, right after the channel's statistics or sums, while its values are
/// still in cache). With M values per channel:
/// <code>
/// forward:   invStd = 1/√(σ² + ε),  scale = γ·invStd,  shift = β − μ·scale          (y = x·scale + shift)
/// backward:  dγ = Σdy·(x − μ)·invStd,  dβ = Σdy,  k = γ·invStd,
///            p = −k·invStd·dγ/M,  q = −k·dβ/M   (in training; 0 when μ and σ were constants)
///                                                (dx = dy·k + (x − μ)·p + q)
/// </code>
/// One instance a layer, its arrays written in place: no allocation per step.
/// </summary>
internal sealed class BatchNormChannels
{
    /// <summary>Arrays for <paramref name="channels"/> channels.</summary>
    public BatchNormChannels(int channels)
    {
        Mean = new double[channels]; Variance = new double[channels]; SumDy = new double[channels]; SumDyX = new double[channels];
        MeanF = new float[channels]; InvStd = new float[channels]; Scale = new float[channels]; Shift = new float[channels];
        K = new float[channels]; P = new float[channels]; Q = new float[channels]; Pivot = new float[channels];
    }

    /// <summary>Each channel's shift K for the statistics (the mean of its first plane).</summary>
    public float[] Pivot { get; }

    /// <summary>The batch's mean and biased variance (training).</summary>
    public double[] Mean { get; }
    /// <inheritdoc cref="Mean"/>
    public double[] Variance { get; }
    /// <summary>μ used by the last forward pass (the batch's or the running mean), as a float.</summary>
    public float[] MeanF { get; }
    /// <summary>1/√(σ² + ε) of the last forward pass.</summary>
    public float[] InvStd { get; }
    /// <summary>y = x·scale + shift.</summary>
    public float[] Scale { get; }
    /// <inheritdoc cref="Scale"/>
    public float[] Shift { get; }
    /// <summary>Σdy and Σdy·(x − μ) of the last backward pass.</summary>
    public double[] SumDy { get; }
    /// <inheritdoc cref="SumDy"/>
    public double[] SumDyX { get; }
    /// <summary>dx = dy·k + (x − μ)·p + q.</summary>
    public float[] K { get; }
    /// <inheritdoc cref="K"/>
    public float[] P { get; }
    /// <inheritdoc cref="K"/>
    public float[] Q { get; }

    /// <summary>Channel c's mean, invStd, scale and shift from μ and σ² (the batch's, or the running statistics).</summary>
    public void SetAffine(int c, float mean, double variance, double eps, float gamma, float beta)
    {
        MeanF[c] = mean;
        InvStd[c] = (float)(1 / Math.Sqrt(variance + eps));
        Scale[c] = gamma * InvStd[c];
        Shift[c] = beta - mean * Scale[c];
    }

    /// <summary>
    /// Channel c's dγ, dβ, k, p and q from its sums <see cref="SumDy"/>, <see cref="SumDyX"/>; <paramref name="m"/>
    /// values per channel, <paramref name="trained"/> when the forward pass normalised with the batch's statistics.
    /// </summary>
    public void SetGradient(int c, double m, bool trained, float gamma, float[] gammaGrad, float[] betaGrad)
    {
        double invStd = InvStd[c], sumDyXhat = SumDyX[c] * invStd;
        gammaGrad[c] = (float)sumDyXhat;
        betaGrad[c] = (float)SumDy[c];
        double k = gamma * invStd;
        K[c] = (float)k;
        // Training: x̂·dγ/M = (x − μ)·invStd²·Σdy(x − μ)/M; in evaluation μ and σ are constants.
        P[c] = trained ? (float)(-k * invStd * sumDyXhat / m) : 0f;
        Q[c] = trained ? (float)(-k * SumDy[c] / m) : 0f;
    }
}
