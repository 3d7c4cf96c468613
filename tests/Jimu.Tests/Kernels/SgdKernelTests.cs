using Jimu.Kernels;

namespace Jimu.Tests.Kernels;

/// <summary>
/// The vectorised, threaded SGD step against torch.optim.SGD's formula one element at a time, bit for bit (the kernel
/// keeps the scalar operations and their order), at every vector width and on the threads.
/// </summary>
[Collection(nameof(Jimu.Tests.Training.AllocationCollection))]
public unsafe class SgdKernelTests
{
    /// <summary>The formula, written plainly: g = ∇ + λθ; b = g (first) or μb + g; g = g + μb (Nesterov) or b; θ −= lr·g.</summary>
    private static void Reference(float[] w, float[] grad, float[] buffer, SgdStep k)
    {
        for (int i = 0; i < w.Length; i++)
        {
            float g = grad[i] + k.WeightDecay * w[i];
            if (k.Momentum != 0f)
            {
                buffer[i] = k.First ? g : k.Momentum * buffer[i] + g;
                g = k.Nesterov ? g + k.Momentum * buffer[i] : buffer[i];
            }
            w[i] -= k.LearningRate * g;
        }
    }

    private static float[] Random(Random rng, int length)
    {
        var a = new float[length];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() - 0.5);
        return a;
    }

    /// <summary>Two steps (the first, then one with the buffer) of every kind, by <paramref name="step"/> and by the formula.</summary>
    private static void Check(int length, int seed, Action<float[], float[], float[], SgdStep> step)
    {
        var rng = new Random(seed);
        foreach (var (momentum, nesterov, decay) in new[] { (0.9f, false, 5e-4f), (0.9f, true, 5e-4f), (0f, false, 5e-4f), (0.5f, false, 0f) })
        {
            float[] w = Random(rng, length), buffer = Random(rng, length);
            float[] w2 = (float[])w.Clone(), buffer2 = (float[])buffer.Clone();
            foreach (bool first in new[] { true, false })
            {
                var grad = Random(rng, length);
                var k = new SgdStep(0.01f, momentum, decay, nesterov, first);
                step(w, grad, buffer, k);
                Reference(w2, grad, buffer2, k);
            }
            Assert.Equal(w2, w);
            Assert.Equal(buffer2, buffer);
        }
    }

    [Theory]
    [InlineData(1, 37)]              // below the thread split: vectors and a ragged scalar tail on the caller
    [InlineData(2, (1 << 17) + 5)]   // split over the threads, ragged at the end
    [InlineData(3, (1 << 16) + 3)]
    public void Threaded_step_equals_the_formula_bit_for_bit(int threads, int length)
    {
        using var context = new ComputeContext(threads);
        Check(length, threads, (w, grad, buffer, k) => SgdKernel.Step(context, w, grad, buffer, length, k));
    }

    /// <summary>Each width's loop (not only the one this machine selects) on every length of 0–70: all the unrolled and single-vector tails.</summary>
    [Theory, MemberData(nameof(SimdWidths.All), MemberType = typeof(SimdWidths))]
    public void Every_width_equals_the_formula_bit_for_bit(int bits) => SimdWidths.Run(bits, new AtWidth());

    private readonly struct AtWidth : IWidthTest
    {
        public void Run<S, V>() where S : struct, ISimdWidth<V> where V : unmanaged
        {
            for (int length = 0; length <= 70; length++)
                Check(length, length, (w, grad, buffer, k) =>
                {
                    fixed (float* pw = w, pg = grad, pb = buffer)
                    {
                        int tail = SgdKernel.Vectors<S, V>(pw, pg, pb, 0, w.Length, k);
                        Assert.True(w.Length - tail < S.Lanes);
                        SgdKernel.Scalar(pw, pg, pb, tail, w.Length, k);
                    }
                });
        }
    }
}
