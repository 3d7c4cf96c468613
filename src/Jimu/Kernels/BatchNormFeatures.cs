using System.Runtime.CompilerServices;

namespace Jimu.Kernels;

/// <summary>
/// <see cref="BatchNormKernel"/> for features, x [N, C] (S = 1: BatchNorm1d after a Linear layer): a plane is one
/// value, so the passes run along each sample's row of channels [start, end), vectors over the channels, and the
/// sums collect in the channels' double accumulators in sample order (the numbers of one plane at a time).
/// </summary>
internal static unsafe class BatchNormFeatures
{
    /// <summary>Channels [start, end) of <see cref="BatchNormKernel.Forward"/> with S = 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<S, V>(in BatchNormTensors t, BatchNormChannels ch, bool training, float[] gamma, float[] beta, double eps, int start, int end)
        where S : struct, ISimdWidth<V> where V : struct
    {
        int n = t.N, channels = t.Channels;
        fixed (float* px = t.X)
        fixed (float* py = t.Y)
        fixed (float* scale = ch.Scale)
        fixed (float* shift = ch.Shift)
        {
            if (training)
            {
                // The shift K of channel c is its first value (the mean of plane (0, c)).
                double[] sum = ch.Mean, sq = ch.Variance;
                Array.Clear(sum, start, end - start);
                Array.Clear(sq, start, end - start);
                for (int i = 0; i < n; i++)
                {
                    float* row = px + (long)i * channels;
                    for (int c = start; c < end; c++)
                    {
                        double d = row[c] - px[c];
                        sum[c] += d; sq[c] += d * d;
                    }
                }
                for (int c = start; c < end; c++)
                {
                    double d = sum[c] / n;
                    ch.Mean[c] = px[c] + d;
                    ch.Variance[c] = Math.Max(sq[c] / n - d * d, 0);
                    ch.SetAffine(c, (float)ch.Mean[c], ch.Variance[c], eps, gamma[c], beta[c]);
                }
            }
            bool relu = t.Activation == BatchNormActivation.Relu;
            for (int i = 0; i < n; i++)
            {
                float* x = px + (long)i * channels, y = py + (long)i * channels;
                int l = S.Lanes, c = start;
                if (S.IsSupported)
                    for (; c + l <= end; c += l)
                    {
                        V z = S.Fma(S.Load(x + c), S.Load(scale + c), S.Load(shift + c));
                        S.Store(y + c, relu ? S.Select(S.GreaterThan(z, S.Zero), z, S.Zero) : z);
                    }
                for (; c < end; c++)
                {
                    float z = S.Fma(x[c], scale[c], shift[c]);
                    y[c] = relu && !(z > 0) ? 0 : z;
                }
            }
        }
    }

    /// <summary>Channels [start, end) of <see cref="BatchNormKernel.Backward"/> with S = 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<S, V>(in BatchNormTensors t, BatchNormChannels ch, bool trained, float[] gamma, float[] gammaGrad, float[] betaGrad, int start, int end)
        where S : struct, ISimdWidth<V> where V : struct
    {
        int n = t.N, channels = t.Channels;
        bool relu = t.Activation == BatchNormActivation.Relu;
        double[] sumDy = ch.SumDy, sumDyX = ch.SumDyX;
        fixed (float* px = t.X)
        fixed (float* pd = t.Dy)
        fixed (float* po = t.Dx)
        fixed (float* scale = ch.Scale)
        fixed (float* shift = ch.Shift)
        fixed (float* mean = ch.MeanF)
        fixed (float* pk = ch.K)
        fixed (float* pp = ch.P)
        fixed (float* pq = ch.Q)
        {
            Array.Clear(sumDy, start, end - start);
            Array.Clear(sumDyX, start, end - start);
            for (int i = 0; i < n; i++)
            {
                float* x = px + (long)i * channels, dy = pd + (long)i * channels;
                for (int c = start; c < end; c++)
                {
                    if (relu && !(S.Fma(x[c], scale[c], shift[c]) > 0)) continue;
                    sumDy[c] += dy[c]; sumDyX[c] += dy[c] * ((double)x[c] - mean[c]);
                }
            }
            for (int c = start; c < end; c++) ch.SetGradient(c, n, trained, gamma[c], gammaGrad, betaGrad);
            if (po == null) return;
            for (int i = 0; i < n; i++)
            {
                float* x = px + (long)i * channels, dy = pd + (long)i * channels, dx = po + (long)i * channels;
                int l = S.Lanes, c = start;
                // dx = g·k + x·p + (q − mean·p), g = dy (where the ReLU passed it).
                if (S.IsSupported)
                    for (; c + l <= end; c += l)
                    {
                        V x0 = S.Load(x + c), p = S.Load(pp + c);
                        V g = S.Load(dy + c);
                        if (relu) g = S.Select(S.GreaterThan(S.Fma(x0, S.Load(scale + c), S.Load(shift + c)), S.Zero), g, S.Zero);
                        S.Store(dx + c, S.Fma(g, S.Load(pk + c), S.Fma(x0, p, S.Sub(S.Load(pq + c), S.Mul(S.Load(mean + c), p)))));
                    }
                for (; c < end; c++)
                {
                    float g = relu && !(S.Fma(x[c], scale[c], shift[c]) > 0) ? 0 : dy[c];
                    dx[c] = S.Fma(g, pk[c], S.Fma(x[c], pp[c], pq[c] - mean[c] * pp[c]));
                }
            }
        }
    }
}
