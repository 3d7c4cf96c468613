using Jimu.Kernels;

namespace Jimu.Tests.Kernels;

/// <summary>The vectorised, threaded Adam step against torch.optim.Adam's formula one element at a time, bit for bit.</summary>
[Collection(nameof(Jimu.Tests.Training.AllocationCollection))]
public unsafe class AdamKernelTests
{
    [Theory]
    [InlineData(1, 37, 0f)]              // below the thread split: vectors and a ragged scalar tail on the caller
    [InlineData(1, (1 << 17) + 5, 1e-2f)]
    [InlineData(2, (1 << 17) + 5, 1e-2f)]
    [InlineData(3, (1 << 16) + 3, 0f)]
    public void Equals_the_scalar_formula_bit_for_bit(int threads, int length, float weightDecay)
    {
        using var context = new ComputeContext(threads);
        var rng = new Random(length + threads);
        float[] R(double scale) { var a = new float[length]; for (int i = 0; i < a.Length; i++) a[i] = (float)((rng.NextDouble() - 0.5) * scale); return a; }
        float[] w = R(2), m = R(0.1), v = R(0.01);
        for (int i = 0; i < v.Length; i++) v[i] = Math.Abs(v[i]);
        float[] w2 = (float[])w.Clone(), m2 = (float[])m.Clone(), v2 = (float[])v.Clone();
        for (int step = 1; step <= 3; step++)
        {
            var grad = R(1);
            float bias2Sqrt = (float)Math.Sqrt(1 - Math.Pow(0.999, step)), stepSize = 0.01f / (float)(1 - Math.Pow(0.9, step));
            var k = new AdamStep(0.9f, (float)(1 - 0.9), 0.999f, (float)(1 - 0.999), bias2Sqrt, 1e-8f, stepSize, weightDecay);
            AdamKernel.Step(context, w, grad, m, v, length, k);
            for (int j = 0; j < length; j++)
            {
                float g = grad[j] + weightDecay * w2[j];
                m2[j] = k.Beta1 * m2[j] + k.OneMinusBeta1 * g;
                v2[j] = k.Beta2 * v2[j] + k.OneMinusBeta2 * g * g;
                float denom = MathF.Sqrt(v2[j]) / bias2Sqrt + 1e-8f;
                w2[j] -= stepSize * m2[j] / denom;
            }
        }
        Assert.Equal(m2, m);
        Assert.Equal(v2, v);
        Assert.Equal(w2, w);
    }

    /// <summary>Each width's loop (not only the one this machine selects) on every length of 0–40, its tail by the scalar loop.</summary>
    [Theory, MemberData(nameof(SimdWidths.All), MemberType = typeof(SimdWidths))]
    public void Every_width_equals_the_scalar_loop_bit_for_bit(int bits) => SimdWidths.Run(bits, new AtWidth());

    private readonly struct AtWidth : IWidthTest
    {
        public void Run<S, V>() where S : struct, ISimdWidth<V> where V : unmanaged
        {
            var rng = new Random(7);
            var k = new AdamStep(0.9f, (float)(1 - 0.9), 0.999f, (float)(1 - 0.999), 0.05f, 1e-8f, 0.01f, 1e-2f);
            for (int length = 0; length <= 40; length++)
            {
                float[] R(double scale) { var a = new float[length]; for (int i = 0; i < a.Length; i++) a[i] = (float)((rng.NextDouble() - 0.5) * scale); return a; }
                float[] w = R(2), m = R(0.1), v = R(0.01), grad = R(1);
                for (int i = 0; i < v.Length; i++) v[i] = Math.Abs(v[i]);
                float[] w2 = (float[])w.Clone(), m2 = (float[])m.Clone(), v2 = (float[])v.Clone();
                fixed (float* pw = w, pg = grad, pm = m, pv = v)
                {
                    int tail = AdamKernel.Vectors<S, V>(pw, pg, pm, pv, 0, length, k);
                    Assert.True(length - tail < S.Lanes);
                    AdamKernel.Scalar(pw, pg, pm, pv, tail, length, k);
                }
                fixed (float* pw = w2, pg = grad, pm = m2, pv = v2) AdamKernel.Scalar(pw, pg, pm, pv, 0, length, k);
                Assert.Equal(w2, w);
                Assert.Equal(m2, m);
                Assert.Equal(v2, v);
            }
        }
    }
}
