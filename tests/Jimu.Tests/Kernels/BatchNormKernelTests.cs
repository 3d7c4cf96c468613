using Jimu.Kernels;

namespace Jimu.Tests.Kernels;

/// <summary>
/// The vectorised BatchNorm passes against their scalar meaning in double, for plane sizes that exercise the
/// 32-, 16- and 8-wide loops and the scalar tail, and the same bits for 1 and 2 threads.
/// </summary>
public class BatchNormKernelTests
{
    [Theory]
    [InlineData(3, 5, 1)]      // BatchNorm1d: one value per sample and channel
    [InlineData(4, 3, 7)]      // tail only
    [InlineData(2, 4, 49)]     // 32 + 16 + 1
    [InlineData(64, 8, 196)]   // 14×14, large enough to run threaded
    [InlineData(5, 2, 1000)]
    public void PassesMatchTheirScalarMeaning_AndAreTheSameForAnyThreadCount(int n, int channels, int s)
    {
        var rng = new Random(n * 100 + s);
        int len = n * channels * s;
        float[] x = new float[len], dy = new float[len];
        // An offset far from zero: the one-pass variance must not cancel.
        for (int i = 0; i < len; i++) { x[i] = 3f + (float)rng.NextDouble(); dy[i] = (float)(rng.NextDouble() - 0.5); }
        float[] scale = new float[channels], shift = new float[channels], k = new float[channels], p = new float[channels], q = new float[channels];
        for (int c = 0; c < channels; c++) { scale[c] = 0.5f + c; shift[c] = -c; k[c] = 1.5f; p[c] = 0.25f * c; q[c] = -0.5f; }

        float[]? first = null;
        foreach (int threads in new[] { 1, 2 })
        {
            using var ctx = new ComputeContext(threads);
            double[] mean = new double[channels], variance = new double[channels], sumDy = new double[channels], sumDyX = new double[channels];
            BatchNormKernel.Statistics(ctx, x, n, channels, s, mean, variance);
            float[] meanF = [.. mean.Select(v => (float)v)];
            var y = new float[len];
            BatchNormKernel.Affine(ctx, x, y, n, channels, s, scale, shift);
            BatchNormKernel.Sums(ctx, x, dy, n, channels, s, meanF, sumDy, sumDyX);
            var dx = new float[len];
            BatchNormKernel.InputGradient(ctx, x, dy, dx, n, channels, s, meanF, k, p, q);

            for (int c = 0; c < channels; c++)
            {
                var xs = Values(x, n, channels, s, c).ToArray();
                double m = xs.Average(), v = xs.Sum(t => (t - m) * (t - m)) / xs.Length;
                Assert.Equal(m, mean[c], 1e-5);
                Assert.True(Math.Abs(v - variance[c]) <= 1e-5 * Math.Max(v, 1e-3), $"var[{c}]: {variance[c]} against {v}");
                var ds = Values(dy, n, channels, s, c).ToArray();
                Assert.Equal(ds.Sum(), sumDy[c], 1e-4);
                Assert.Equal(ds.Zip(xs, (d, t) => d * (t - meanF[c])).Sum(), sumDyX[c], 1e-4);
            }
            for (int i = 0; i < len; i++)
            {
                int c = i / s % channels;
                Assert.Equal(x[i] * (double)scale[c] + shift[c], y[i], 1e-5);
                Assert.Equal(dy[i] * (double)k[c] + (x[i] - meanF[c]) * (double)p[c] + q[c], dx[i], 1e-5);
            }
            float[] all = [.. mean.Select(v => (float)v), .. variance.Select(v => (float)v), .. sumDy.Select(v => (float)v), .. sumDyX.Select(v => (float)v), .. y, .. dx];
            if (first is null) first = all;
            else Assert.Equal(first, all);
        }
    }

    private static IEnumerable<double> Values(float[] t, int n, int channels, int s, int c)
    {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < s; j++) yield return t[(i * channels + c) * s + j];
    }
}
