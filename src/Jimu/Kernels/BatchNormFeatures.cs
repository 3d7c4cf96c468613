using System.Runtime.CompilerServices;

namespace Jimu.Kernels;

/// <summary>
/// The passes of <see cref="BatchNormKernel"/> for features, x [N, C] (S = 1: BatchNorm1d after a Linear layer): a
/// plane is one value, so each pass runs along the samples' rows over a range of channels, with vectors over the
/// channels, and a channel's sums collect in double in sample order (the numbers of one plane at a time). The sums
/// of channel c are left at [c] and [C + c].
/// </summary>
internal static unsafe class BatchNormFeatures
{
    /// <summary>Each channel's (Σ(x − K), Σ(x − K)²); K, the mean of plane (0, c), is x[0, c].</summary>
    public readonly struct StatisticsPass : BatchNormKernel.IPass
    {
        public static int Items(in BatchNormTensors t) => t.Channels;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run<S, V>(in BatchNormKernel.Pinned p, BatchNormChannels ch, int from, int to)
            where S : struct, ISimdWidth<V> where V : struct
        {
            int channels = p.Channels;
            double* sum = p.Sums, sq = p.Sums + channels;
            new Span<double>(sum + from, to - from).Clear();
            new Span<double>(sq + from, to - from).Clear();
            fixed (float* pivot = ch.Pivot)
                for (int i = 0; i < p.N; i++)
                {
                    float* x = p.X + (long)i * channels;
                    for (int c = from; c < to; c++)
                    {
                        double d = x[c] - pivot[c];
                        sum[c] += d; sq[c] += d * d;
                    }
                }
        }
    }

    /// <summary>y = x·scale + shift (and the ReLU), vectors over the channels.</summary>
    public readonly struct ForwardPass : BatchNormKernel.IPass
    {
        public static int Items(in BatchNormTensors t) => t.Channels;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run<S, V>(in BatchNormKernel.Pinned p, BatchNormChannels ch, int from, int to)
            where S : struct, ISimdWidth<V> where V : struct
        {
            int channels = p.Channels, l = S.Lanes;
            bool relu = p.Activation == BatchNormActivation.Relu;
            fixed (float* scale = ch.Scale)
            fixed (float* shift = ch.Shift)
                for (int i = 0; i < p.N; i++)
                {
                    float* x = p.X + (long)i * channels, y = p.Y + (long)i * channels;
                    int c = from;
                    if (S.IsSupported)
                        for (; c + l <= to; c += l)
                        {
                            V z = S.Fma(S.Load(x + c), S.Load(scale + c), S.Load(shift + c));
                            S.Store(y + c, relu ? S.Select(S.GreaterThan(z, S.Zero), z, S.Zero) : z);
                        }
                    for (; c < to; c++)
                    {
                        float z = S.Fma(x[c], scale[c], shift[c]);
                        y[c] = relu && !(z > 0) ? 0 : z;
                    }
                }
        }
    }

    /// <summary>
    /// Each channel's (Σ g, Σ g·(x − mean)), g = dy where the ReLU passed it, else 0. The ReLU's mask is applied with
    /// vectors (g, and x set to the mean where it is off, so that the masked product is 0 even for x = NaN), then the
    /// double sums take every lane without a branch (a branch on random signs is mispredicted half the time).
    /// </summary>
    public readonly struct SumsPass : BatchNormKernel.IPass
    {
        public static int Items(in BatchNormTensors t) => t.Channels;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run<S, V>(in BatchNormKernel.Pinned p, BatchNormChannels ch, int from, int to)
            where S : struct, ISimdWidth<V> where V : struct
        {
            int channels = p.Channels, l = S.Lanes;
            bool relu = p.Activation == BatchNormActivation.Relu;
            double* sumDy = p.Sums, sumDyX = p.Sums + channels;
            new Span<double>(sumDy + from, to - from).Clear();
            new Span<double>(sumDyX + from, to - from).Clear();
            float* g = stackalloc float[2 * l];
            float* xm = g + l;
            fixed (float* scale = ch.Scale)
            fixed (float* shift = ch.Shift)
            fixed (float* mean = ch.MeanF)
                for (int i = 0; i < p.N; i++)
                {
                    float* x = p.X + (long)i * channels, dy = p.Dy + (long)i * channels;
                    int c = from;
                    if (S.IsSupported && relu)
                        for (; c + l <= to; c += l)
                        {
                            V x0 = S.Load(x + c);
                            V on = S.GreaterThan(S.Fma(x0, S.Load(scale + c), S.Load(shift + c)), S.Zero);
                            S.Store(g, S.Select(on, S.Load(dy + c), S.Zero));
                            S.Store(xm, S.Select(on, x0, S.Load(mean + c)));
                            for (int j = 0; j < l; j++)
                            {
                                sumDy[c + j] += g[j]; sumDyX[c + j] += g[j] * ((double)xm[j] - mean[c + j]);
                            }
                        }
                    for (; c < to; c++)
                    {
                        if (relu && !(S.Fma(x[c], scale[c], shift[c]) > 0)) continue;
                        sumDy[c] += dy[c]; sumDyX[c] += dy[c] * ((double)x[c] - mean[c]);
                    }
                }
        }
    }

    /// <summary>dx = g·k + x·p + (q − mean·p), vectors over the channels.</summary>
    public readonly struct GradientPass : BatchNormKernel.IPass
    {
        public static int Items(in BatchNormTensors t) => t.Channels;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run<S, V>(in BatchNormKernel.Pinned p, BatchNormChannels ch, int from, int to)
            where S : struct, ISimdWidth<V> where V : struct
        {
            int channels = p.Channels, l = S.Lanes;
            bool relu = p.Activation == BatchNormActivation.Relu;
            fixed (float* scale = ch.Scale)
            fixed (float* shift = ch.Shift)
            fixed (float* mean = ch.MeanF)
            fixed (float* pk = ch.K)
            fixed (float* pp = ch.P)
            fixed (float* pq = ch.Q)
                for (int i = 0; i < p.N; i++)
                {
                    float* x = p.X + (long)i * channels, dy = p.Dy + (long)i * channels, dx = p.Dx + (long)i * channels;
                    int c = from;
                    if (S.IsSupported)
                        for (; c + l <= to; c += l)
                        {
                            V x0 = S.Load(x + c), vp = S.Load(pp + c), g = S.Load(dy + c);
                            if (relu) g = S.Select(S.GreaterThan(S.Fma(x0, S.Load(scale + c), S.Load(shift + c)), S.Zero), g, S.Zero);
                            S.Store(dx + c, S.Fma(g, S.Load(pk + c), S.Fma(x0, vp, S.Sub(S.Load(pq + c), S.Mul(S.Load(mean + c), vp)))));
                        }
                    for (; c < to; c++)
                    {
                        float g = relu && !(S.Fma(x[c], scale[c], shift[c]) > 0) ? 0 : dy[c];
                        dx[c] = S.Fma(g, pk[c], S.Fma(x[c], pp[c], pq[c] - mean[c] * pp[c]));
                    }
                }
        }
    }
}
