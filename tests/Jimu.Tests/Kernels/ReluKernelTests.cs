using Jimu.Kernels;

namespace Jimu.Tests.Kernels;

public class ReluKernelTests
{
    [Theory]
    [InlineData(100)]
    [InlineData(65536)]
    [InlineData(200_003)]
    public void Split_over_threads_matches_the_element_wise_kernel(int length)
    {
        var rng = new Random(length);
        var x = Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var dy = Enumerable.Range(0, length).Select(_ => (float)rng.NextDouble()).ToArray();
        using var context = new ComputeContext(2);
        float[] y = new float[length], dx = new float[length];
        ReluKernel.Forward(context, x, y, length);
        ReluKernel.Backward(context, y, dy, dx, length);
        for (int i = 0; i < length; i++)
        {
            Assert.Equal(Math.Max(x[i], 0f), y[i]);
            Assert.Equal(x[i] > 0 ? dy[i] : 0f, dx[i]);
        }
    }
}
