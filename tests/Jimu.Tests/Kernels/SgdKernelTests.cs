using Jimu.Kernels;

namespace Jimu.Tests.Kernels;

/// <summary>The threaded SGD step against the single-span one, bit for bit: the update is elementwise.</summary>
[Collection(nameof(Jimu.Tests.Training.AllocationCollection))]
public class SgdKernelTests
{
    [Theory]
    [InlineData(2, 0.9f, false)]
    [InlineData(3, 0.9f, true)]
    [InlineData(2, 0f, false)]
    public void Threaded_step_equals_the_plain_one(int threads, float momentum, bool nesterov)
    {
        using var context = new ComputeContext(threads);
        {
            var rng = new Random(threads);
            int length = (1 << 17) + 5;   // large enough to split, ragged at the end
            float[] R() { var a = new float[length]; for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() - 0.5); return a; }
            float[] w = R(), grad = R(), buffer = R();
            float[] w2 = (float[])w.Clone(), buffer2 = (float[])buffer.Clone();
            foreach (bool first in new[] { true, false })
            {
                SgdKernel.Step(context, w, grad, buffer, length, 0.01f, momentum, 5e-4f, nesterov, first);
                SgdUpdate.Step(w2, grad, momentum != 0f ? buffer2 : default, 0.01f, momentum, 5e-4f, nesterov, first);
            }
            Assert.Equal(w2, w);
            Assert.Equal(buffer2, buffer);
        }
    }
}
