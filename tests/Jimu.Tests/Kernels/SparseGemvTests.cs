using Jimu.Kernels;
using Jimu.Layers;
using Jimu.Tensors;

namespace Jimu.Tests.Kernels;

/// <summary>
/// <see cref="SparseGemv"/>: one input row times Wᵀ skipping the zero inputs. Each output is exactly the FMA chain over
/// the non-zero inputs in ascending order, whether W is read packed or gathered, on any thread count; and the packed
/// copy follows the weights' version.
/// </summary>
public class SparseGemvTests
{
    private static (float[] W, float[] X) Operands(int n, int k, double zeros, int seed)
    {
        var rng = new Random(seed);
        var w = new float[n * k];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() * 2 - 1);
        var x = new float[k];
        for (int q = 0; q < k; q++) x[q] = rng.NextDouble() < zeros ? 0f : (float)rng.NextDouble() * 2;
        return (w, x);
    }

    /// <summary>y[j] = the chain s ← x[q]·W[j, q] + s over the non-zero x[q], q ascending, rounded as the vectors round.</summary>
    private static float[] Chain(float[] w, float[] x, int n, int k)
    {
        bool fused = System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;
        var y = new float[n];
        for (int j = 0; j < n; j++)
        {
            float s = 0;
            for (int q = 0; q < k; q++)
                if (x[q] != 0f) s = fused ? MathF.FusedMultiplyAdd(x[q], w[j * k + q], s) : x[q] * w[j * k + q] + s;
            y[j] = s;
        }
        return y;
    }

    public static TheoryData<int, int, double> Shapes() => new()
    {
        { 1024, 3136, 0.42 },   // mnist-tf's fc1 at initialisation
        { 300, 37, 0.0 },       // a partial last block, no zeros
        { 129, 200, 0.8 },      // one output past a whole block
        { 200, 64, 1.0 },       // every input zero: y = 0
        { 16, 5, 0.5 },         // less than one block
    };

    [Theory, MemberData(nameof(Shapes))]
    public void Each_output_is_the_chain_over_the_non_zero_inputs_packed_or_not_on_any_thread_count(int n, int k, double zeros)
    {
        Assert.SkipUnless(SparseGemv.Supported, "SparseGemv needs vectors; Linear multiplies through Gemm here");
        var (w, x) = Operands(n, k, zeros, n + k);
        var expected = Chain(w, x, n, k);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var ctx = new ComputeContext(threads);
            var cache = new SparseGemvWeights();
            var gathered = new float[n];
            SparseGemv.Multiply(ctx, cache, 1, w, n, k, x, gathered);   // first use: read from W
            Assert.Equal(expected, gathered);
            var packed = new float[n];
            SparseGemv.Multiply(ctx, cache, 1, w, n, k, x, packed);     // second use: packed
            Assert.True(cache.Ready(w, 1, n, k));
            Assert.Equal(expected, packed);
        }
    }

    [Fact]
    public void Agrees_with_the_plain_product_to_rounding()
    {
        Assert.SkipUnless(SparseGemv.Supported, "SparseGemv needs vectors");
        const int n = 256, k = 500;
        var (w, x) = Operands(n, k, 0.5, 3);
        var y = new float[n];
        using var ctx = new ComputeContext(1);
        SparseGemv.Multiply(ctx, new SparseGemvWeights(), 0, w, n, k, x, y);
        for (int j = 0; j < n; j++)
        {
            double exact = 0, scale = 0;
            for (int q = 0; q < k; q++) { exact += (double)x[q] * w[j * k + q]; scale += Math.Abs((double)x[q] * w[j * k + q]); }
            Assert.True(Math.Abs(y[j] - exact) <= 1e-6 * scale, $"y[{j}] = {y[j]}, exact {exact}");
        }
    }

    [Fact]
    public void The_packed_copy_follows_the_version_and_the_array()
    {
        const int n = 200, k = 40;
        var (w, x) = Operands(n, k, 0.3, 4);
        var cache = new SparseGemvWeights();
        Assert.False(cache.Ready(w, 5, n, k));   // first use: not packed
        Assert.True(cache.Ready(w, 5, n, k));    // second: packed
        Assert.True(cache.Ready(w, 5, n, k));
        Assert.False(cache.Ready(w, 6, n, k));   // a new version is a first use again
        var other = (float[])w.Clone();
        Assert.False(cache.Ready(other, 6, n, k));
    }

    [Fact]
    public void After_a_write_and_a_new_version_the_product_uses_the_new_weights()
    {
        Assert.SkipUnless(SparseGemv.Supported, "SparseGemv needs vectors");
        const int n = 200, k = 40;
        var (w, x) = Operands(n, k, 0.3, 4);
        var cache = new SparseGemvWeights();
        using var ctx = new ComputeContext(1);
        var y = new float[n];
        SparseGemv.Multiply(ctx, cache, 7, w, n, k, x, y);
        SparseGemv.Multiply(ctx, cache, 7, w, n, k, x, y);
        for (int i = 0; i < w.Length; i++) w[i] *= -1;
        SparseGemv.Multiply(ctx, cache, 8, w, n, k, x, y);
        Assert.Equal(Chain(w, x, n, k), y);
        SparseGemv.Multiply(ctx, cache, 8, w, n, k, x, y);
        Assert.Equal(Chain(w, x, n, k), y);
    }

    [Fact]
    public void A_Linear_layer_predicting_one_image_follows_its_weights_and_gives_the_same_bits_every_call()
    {
        var fc = new Linear(3136, 1024, name: "fc1") { Training = false };
        Jimu.Models.Initializer.Initialize(fc, new Random(2));
        var (_, xs) = Operands(1, 3136, 0.5, 5);
        var x = new Tensor(xs, 1, 3136);
        var first = fc.Forward(x).Span.ToArray();
        Assert.Equal(first, fc.Forward(x).Span.ToArray());
        Assert.Equal(first, fc.Forward(x).Span.ToArray());
        // The same numbers as the training-mode product, to rounding.
        fc.Training = true;
        GradientCheck.AssertAgree(fc.Forward(x).Clone(), new Tensor(first, 1, 1024), "eval vs train");
        fc.Training = false;
        // A marked write is seen, on every call after it.
        fc.Weight.Value.Data[5] += 3;
        fc.Weight.MarkChanged();
        var after = fc.Forward(x).Span.ToArray();
        Assert.Equal(first[0] + 3 * xs[5], after[0], 4);
        Assert.Equal(after, fc.Forward(x).Span.ToArray());
    }
}
