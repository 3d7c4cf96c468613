using Jimu.Kernels;
using Jimu.Layers;

namespace Jimu.Tests.Kernels;

/// <summary>
/// The vectorised BatchNorm passes against their scalar meaning in double, at every vector width, for plane sizes
/// that exercise the two-vector and one-vector loops, the scalar tail and short groups of planes (<see cref="PlaneSums"/>),
/// and the same bits for any thread count.
/// </summary>
public class BatchNormKernelTests
{
    /// <summary>Shapes (n, channels, s) × widths (0: the machine's; 512, 256, 128 bits) × with and without the ReLU.</summary>
    public static TheoryData<int, int, int, int, bool> PassCases()
    {
        var data = new TheoryData<int, int, int, int, bool>();
        (int, int, int)[] shapes =
        [
            (3, 5, 1),      // BatchNorm1d: one value per sample and channel
            (4, 3, 7),      // tail only
            (3, 5, 16),     // 15 planes: short groups of planes at every width, wherever a thread's range ends
            (2, 4, 49),     // 32 + 16 + 1
            (64, 8, 196),   // 14×14, large enough to run threaded
            (32, 24, 64),   // 8×8: whole groups of planes
            (5, 2, 1000),
        ];
        foreach (var (n, c, s) in shapes)
            foreach (int bits in new[] { 0, 512, 256, 128 })
                foreach (bool relu in new[] { false, true })
                    data.Add(bits, n, c, s, relu);
        return data;
    }

    /// <summary>
    /// Statistics, forward, sums and gradient against their scalar meaning in double (y bit for bit: the same FMA),
    /// at each vector width, and the same bits for 1, 2 and 3 threads (each splits the planes elsewhere).
    /// </summary>
    [Theory, MemberData(nameof(PassCases))]
    public void PassesMatchTheirScalarMeaning_AndAreTheSameForAnyThreadCount(int bits, int n, int channels, int s, bool relu)
    {
        var test = new PassesTest(n, channels, s, relu);
        if (bits == 0)
        {
            switch (GemmMicroKernel.Selected)
            {
                case GemmMicroKernel.Kind.Vector512: test.Run<Simd512, System.Runtime.Intrinsics.Vector512<float>>(); break;
                case GemmMicroKernel.Kind.Vector256: test.Run<Simd256, System.Runtime.Intrinsics.Vector256<float>>(); break;
                default: test.Run<Simd128, System.Runtime.Intrinsics.Vector128<float>>(); break;
            }
        }
        else SimdWidths.Run(bits, test);
    }

    private readonly struct PassesTest(int n, int channels, int s, bool relu) : IWidthTest
    {
        public void Run<S, V>() where S : struct, ISimdWidth<V> where V : unmanaged
        {
            var width = S.Lanes == 16 ? GemmMicroKernel.Kind.Vector512 : S.Lanes == 8 ? GemmMicroKernel.Kind.Vector256 : GemmMicroKernel.Selected == GemmMicroKernel.Kind.Scalar ? GemmMicroKernel.Kind.Scalar : GemmMicroKernel.Kind.Vector128;
            var rng = new Random(n * 100 + s + (relu ? 1 : 0));
            int len = n * channels * s;
            float[] x = new float[len], dy = new float[len];
            // An offset far from zero: the one-pass variance must not cancel.
            for (int i = 0; i < len; i++) { x[i] = 3f + (float)rng.NextDouble(); dy[i] = (float)(rng.NextDouble() - 0.5); }
            float[] gamma = new float[channels], beta = new float[channels], dGamma = new float[channels], dBeta = new float[channels];
            // β about 0 around the mean: the ReLU cuts about half of each channel.
            for (int c = 0; c < channels; c++) { gamma[c] = 0.5f + c; beta[c] = c % 3 - 1; }

            float[]? first = null;
            foreach (int threads in new[] { 1, 2, 3 })
            {
                using var ctx = new ComputeContext(threads);
                var ch = new BatchNormChannels(channels);
                float[] y = new float[len], dx = new float[len];
                var t = new BatchNormTensors
                {
                    X = x, N = n, Channels = channels, S = s, Activation = relu ? BatchNormActivation.Relu : BatchNormActivation.None,
                    Y = y, Dy = dy, Dx = dx, Width = width,
                };
                BatchNormKernel.Forward(ctx, t, ch, training: true, gamma, beta, eps: 1e-5);
                BatchNormKernel.Backward(ctx, t, ch, trained: true, gamma, dGamma, dBeta);
                double[] mean = ch.Mean, variance = ch.Variance, sumDy = ch.SumDy, sumDyX = ch.SumDyX;
                float[] meanF = ch.MeanF, scale = ch.Scale, shift = ch.Shift, k = ch.K, p = ch.P, q = ch.Q;
                // g: dy where the ReLU passes (z > 0 with the kernel's FMA), else 0.
                float[] g = new float[len];
                for (int i = 0; i < len; i++)
                {
                    int c = i / s % channels;
                    g[i] = !relu || S.Fma(x[i], scale[c], shift[c]) > 0 ? dy[i] : 0;
                }

                for (int c = 0; c < channels; c++)
                {
                    var xs = Values(x, n, channels, s, c).ToArray();
                    double m = xs.Average(), v = xs.Sum(t => (t - m) * (t - m)) / xs.Length;
                    Assert.Equal(m, mean[c], 1e-5);
                    Assert.True(Math.Abs(v - variance[c]) <= 1e-5 * Math.Max(v, 1e-3), $"var[{c}]: {variance[c]} against {v}");
                    var gs = Values(g, n, channels, s, c).ToArray();
                    Assert.Equal(gs.Sum(), sumDy[c], 1e-4);
                    Assert.Equal(gs.Zip(xs, (d, t) => d * (t - meanF[c])).Sum(), sumDyX[c], 1e-4);
                }
                for (int i = 0; i < len; i++)
                {
                    int c = i / s % channels;
                    float z = S.Fma(x[i], scale[c], shift[c]);
                    Assert.Equal(relu ? Math.Max(z, 0) : z, y[i]);
                    Assert.Equal(g[i] * (double)k[c] + (x[i] - meanF[c]) * (double)p[c] + q[c], dx[i], 1e-5);
                }
                for (int c = 0; c < channels; c++)
                {
                    Assert.Equal(1 / Math.Sqrt(variance[c] + 1e-5), ch.InvStd[c], 1e-5 * ch.InvStd[c]);
                    Assert.Equal(gamma[c] * (double)ch.InvStd[c], scale[c], 1e-6 * Math.Abs(scale[c]));
                    Assert.Equal(sumDyX[c] * ch.InvStd[c], dGamma[c], 1e-5 * Math.Max(1, Math.Abs(dGamma[c])));
                    Assert.Equal(sumDy[c], dBeta[c], 1e-5 * Math.Max(1, Math.Abs(dBeta[c])));
                }
                float[] all = [.. mean.Select(v => (float)v), .. variance.Select(v => (float)v), .. sumDy.Select(v => (float)v), .. sumDyX.Select(v => (float)v), .. y, .. dx];
                if (first is null) first = all;
                else Assert.Equal(first, all);
            }
        }
    }

    private static IEnumerable<double> Values(float[] t, int n, int channels, int s, int c)
    {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < s; j++) yield return t[(i * channels + c) * s + j];
    }

    /// <summary>
    /// The width's new operations against their lane-by-lane meaning: ZipLow/ZipHigh undo Even/Odd, Equal, and the
    /// scalar Fma rounds as a lane of the vector one (the BatchNorm passes rely on it for bit-equal tails).
    /// </summary>
    [Theory, MemberData(nameof(SimdWidths.All), MemberType = typeof(SimdWidths))]
    public void ZipEqualAndScalarFma_MatchTheirLaneMeaning(int bits) => SimdWidths.Run(bits, new OpsTest());

    private readonly struct OpsTest : IWidthTest
    {
        public unsafe void Run<S, V>() where S : struct, ISimdWidth<V> where V : unmanaged
        {
            int l = S.Lanes;
            var rng = new Random(l);
            float[] a = new float[l], b = new float[l], c = new float[l], lo = new float[l], hi = new float[l], eq = new float[l], fma = new float[l];
            for (int i = 0; i < l; i++) { a[i] = (float)rng.NextDouble() * 3; b[i] = i % 3 == 0 ? a[i] : (float)rng.NextDouble(); c[i] = (float)rng.NextDouble() - 1; }
            fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c) fixed (float* plo = lo) fixed (float* phi = hi) fixed (float* peq = eq) fixed (float* pf = fma)
            {
                V va = S.Load(pa), vb = S.Load(pb);
                S.Store(plo, S.ZipLow(va, vb));
                S.Store(phi, S.ZipHigh(va, vb));
                S.Store(peq, S.Select(S.Equal(va, vb), S.Broadcast(1), S.Zero));
                S.Store(pf, S.Fma(va, vb, S.Load(pc)));
                for (int i = 0; i < l / 2; i++)
                {
                    Assert.Equal(a[i], lo[2 * i]); Assert.Equal(b[i], lo[2 * i + 1]);
                    Assert.Equal(a[l / 2 + i], hi[2 * i]); Assert.Equal(b[l / 2 + i], hi[2 * i + 1]);
                }
                // Even and odd lanes of the zipped pair are a and b again.
                fixed (float* e = new float[l]) fixed (float* o = new float[l])
                {
                    S.Store(e, S.Even(S.Load(plo), S.Load(phi)));
                    S.Store(o, S.Odd(S.Load(plo), S.Load(phi)));
                    for (int i = 0; i < l; i++) { Assert.Equal(a[i], e[i]); Assert.Equal(b[i], o[i]); }
                }
                for (int i = 0; i < l; i++)
                {
                    Assert.Equal(a[i] == b[i] ? 1f : 0f, eq[i]);
                    Assert.Equal(S.Fma(a[i], b[i], c[i]), fma[i]);
                }
            }
        }
    }

    /// <summary>
    /// BatchNorm + ReLU + 2×2 max pool of one plane: the row passes of each width against the window-by-window loop
    /// (y, winners and their x bit for bit, ties and a NaN included), and the row gradient against the scatter of
    /// each window's dy·k onto x·p + c. Output rows of 2L − 1 windows (the last block overlapping) and an odd height
    /// and width (a row and a column no window covers).
    /// </summary>
    [Theory, MemberData(nameof(SimdWidths.All), MemberType = typeof(SimdWidths))]
    public void PoolRows_AgreeWithTheWindowLoop(int bits) => SimdWidths.Run(bits, new PoolRowsTest());

    private readonly struct PoolRowsTest : IWidthTest
    {
        public unsafe void Run<S, V>() where S : struct, ISimdWidth<V> where V : unmanaged
        {
            int outW = 2 * S.Lanes - 1, h = 7, w = 2 * outW + 1;
            var g = ConvGeometry.Create("test", 1, h, w, 2, 2, 2, 2, Padding.Zero);
            var rng = new Random(S.Lanes);
            // Few distinct values: ties are common.
            var x = new float[h * w];
            for (int i = 0; i < x.Length; i++) x[i] = rng.Next(6) - 2.5f + (rng.Next(50) == 0 ? float.NaN : 0);
            int o = g.OutPlane;
            float[] y1 = new float[o], w1 = new float[o], x1 = new float[o], y2 = new float[o], w2 = new float[o], x2 = new float[o];
            float[] dy = new float[o], dx1 = new float[h * w], dx2 = new float[h * w];
            for (int i = 0; i < o; i++) dy[i] = (float)rng.NextDouble() - 0.5f;
            fixed (float* px = x) fixed (float* pdy = dy)
            fixed (float* py1 = y1) fixed (float* pw1 = w1) fixed (float* px1 = x1) fixed (float* pdx1 = dx1)
            fixed (float* py2 = y2) fixed (float* pw2 = w2) fixed (float* px2 = x2) fixed (float* pdx2 = dx2)
            {
                foreach (float a in new[] { 0.75f, -1.25f })
                {
                    BatchNormReluPool.Rows<S, V>(px, g, a, 0.5f, py1, pw1, px1);
                    BatchNormReluPool.Windows<S, V>(px, g, a, 0.5f, py2, pw2, px2);
                    Assert.Equal(y2, y1);
                    Assert.Equal(w2, w1);
                    Assert.Equal(x2, x1);
                    Assert.Contains(-1f, w1);
                    BatchNormReluPool.GradientRows<S, V>(px, pdy, pw1, pdx1, g, 1.5f, 0.25f, -0.125f);
                    for (int i = 0; i < dx2.Length; i++) dx2[i] = S.Fma(x[i], 0.25f, -0.125f);
                    for (int i = 0; i < o; i++)
                        if (w2[i] >= 0) dx2[(int)w2[i]] = S.Fma(dy[i], 1.5f, dx2[(int)w2[i]]);
                    Assert.Equal(dx2, dx1);
                }
            }
        }
    }
}
