using System.Runtime.Intrinsics;
using Jimu.Kernels;
using Jimu.Layers;
using Jimu.Tensors;

namespace Jimu.Tests.Kernels;

/// <summary>
/// Winograd F(2×2, 5×5): its transforms are the published matrices, and the convolution agrees with the direct loops
/// (forward, input gradient, weight and bias gradients) over paddings, odd sizes, channel counts that fill no vector,
/// batches that span several chunks, and thread counts, with the threaded results identical to one thread's.
/// </summary>
[Collection(nameof(Jimu.Tests.Training.AllocationCollection))]
public unsafe class ConvWinogradTests
{
    // The matrices of F(2, 5) with points 0, ±1, ±2, ∞ (derived with sympy as in Lavin's wincnn).
    private static readonly double[,] BT =
    {
        { 4, 0, -5, 0, 1, 0 }, { 0, -4, -4, 1, 1, 0 }, { 0, 4, -4, -1, 1, 0 },
        { 0, -2, -1, 2, 1, 0 }, { 0, 2, -1, -2, 1, 0 }, { 0, 4, 0, -5, 0, 1 },
    };
    private static readonly double[,] G =
    {
        { 1 / 4.0, 0, 0, 0, 0 }, { -1 / 6.0, -1 / 6.0, -1 / 6.0, -1 / 6.0, -1 / 6.0 }, { -1 / 6.0, 1 / 6.0, -1 / 6.0, 1 / 6.0, -1 / 6.0 },
        { 1 / 24.0, 1 / 12.0, 1 / 6.0, 1 / 3.0, 2 / 3.0 }, { 1 / 24.0, -1 / 12.0, 1 / 6.0, -1 / 3.0, 2 / 3.0 }, { 0, 0, 0, 0, 1 },
    };
    private static readonly double[,] AT = { { 1, 1, 1, 1, 1, 0 }, { 0, 1, -1, 2, -2, 1 } };

    private static double[,] Mul(double[,] a, double[,] b)
    {
        var c = new double[a.GetLength(0), b.GetLength(1)];
        for (int i = 0; i < a.GetLength(0); i++)
            for (int j = 0; j < b.GetLength(1); j++)
                for (int k = 0; k < a.GetLength(1); k++) c[i, j] += a[i, k] * b[k, j];
        return c;
    }

    private static double[,] Transpose(double[,] a)
    {
        var t = new double[a.GetLength(1), a.GetLength(0)];
        for (int i = 0; i < a.GetLength(0); i++)
            for (int j = 0; j < a.GetLength(1); j++) t[j, i] = a[i, j];
        return t;
    }

    private static double[,] RandomMatrix(Random rng, int rows, int cols)
    {
        var m = new double[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) m[i, j] = rng.Next(-8, 9) / 4.0;   // exact in float
        return m;
    }

    private static void AssertMatrix(double[,] expected, Func<int, int, double> actual, double tol, string what)
    {
        for (int i = 0; i < expected.GetLength(0); i++)
            for (int j = 0; j < expected.GetLength(1); j++)
                Assert.True(Math.Abs(expected[i, j] - actual(i, j)) <= tol, $"{what}[{i},{j}]: expected {expected[i, j]}, got {actual(i, j)}");
    }

    [Fact]
    public void Transforms_are_the_matrices_of_F2x5_and_their_adjoints()
    {
        var rng = new Random(3);
        Vector512<float>* block = stackalloc Vector512<float>[36];
        float* src = stackalloc float[36 * 16];
        float* dst = stackalloc float[36 * 16];
        for (int trial = 0; trial < 5; trial++)
        {
            // V = Bᵀ d B: d[i][j] at (6i + j)·16, lane 5 of each vector checked.
            var d = RandomMatrix(rng, 6, 6);
            for (int i = 0; i < 36 * 16; i++) src[i] = (float)d[i / 16 / 6, i / 16 % 6];
            WinogradF2x5.InputTransform<Simd512, Vector512<float>>(src, 6 * 16, 16, dst, 16, block);
            AssertMatrix(Mul(Mul(BT, d), Transpose(BT)), (i, j) => dst[(i * 6 + j) * 16 + 5], 1e-4, "Bᵀ d B");

            // y = Aᵀ M A.
            var m = RandomMatrix(rng, 6, 6);
            for (int i = 0; i < 36 * 16; i++) src[i] = (float)m[i / 16 / 6, i / 16 % 6];
            WinogradF2x5.OutputTransform<Simd512, Vector512<float>>(src, 16, out var y00, out var y01, out var y10, out var y11);
            var y = new[,] { { y00[5], y01[5] }, { y10[5], y11[5] } };
            AssertMatrix(Mul(Mul(AT, m), Transpose(AT)), (i, j) => y[i, j], 1e-4, "Aᵀ M A");

            // dM = A dY Aᵀ, lanes 0–7 to one buffer and 8–15 to another.
            var dy = RandomMatrix(rng, 2, 2);
            WinogradF2x5.OutputGradientTransform(Vector512.Create((float)dy[0, 0]), Vector512.Create((float)dy[0, 1]),
                Vector512.Create((float)dy[1, 0]), Vector512.Create((float)dy[1, 1]), dst, dst + 8, 16);
            AssertMatrix(Mul(Mul(Transpose(AT), dy), AT), (i, j) => dst[(i * 6 + j) * 16 + 5], 1e-4, "A dY Aᵀ (low half)");
            AssertMatrix(Mul(Mul(Transpose(AT), dy), AT), (i, j) => dst[(i * 6 + j) * 16 + 13], 1e-4, "A dY Aᵀ (high half)");

            // U = G g Gᵀ and dg = Gᵀ dU G, 16 kernels at once (lane 5 checked).
            var g = RandomMatrix(rng, 5, 5);
            for (int i = 0; i < 25; i++) block[i] = Vector512.Create((float)g[i / 5, i % 5]);
            WinogradF2x5.KernelTransform<Simd512, Vector512<float>>(block, dst, 16);
            AssertMatrix(Mul(Mul(G, g), Transpose(G)), (i, j) => dst[(i * 6 + j) * 16 + 5], 1e-5, "G g Gᵀ");

            var du = RandomMatrix(rng, 6, 6);
            for (int i = 0; i < 36 * 16; i++) src[i] = (float)du[i / 16 / 6, i / 16 % 6];
            WinogradF2x5.KernelGradientTransform(src, 16, block);
            AssertMatrix(Mul(Mul(Transpose(G), du), G), (i, j) => block[i * 5 + j][5], 1e-5, "Gᵀ dU G");
        }
    }

    [Fact]
    public void F2x5_computes_the_correlation_of_a_tile()
    {
        // Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A = Σ_ab g[a,b] d[i+a, j+b], in exact arithmetic.
        var rng = new Random(4);
        var d = RandomMatrix(rng, 6, 6);
        var g = RandomMatrix(rng, 5, 5);
        var u = Mul(Mul(G, g), Transpose(G));
        var v = Mul(Mul(BT, d), Transpose(BT));
        var uv = new double[6, 6];
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++) uv[i, j] = u[i, j] * v[i, j];
        var y = Mul(Mul(AT, uv), Transpose(AT));
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
            {
                double s = 0;
                for (int a = 0; a < 5; a++)
                    for (int b = 0; b < 5; b++) s += g[a, b] * d[i + a, j + b];
                Assert.Equal(s, y[i, j], 9);
            }
    }

    public static TheoryData<int, int, int, int, int, string> Shapes => new()
    {
        { 4, 32, 64, 14, 14, "2" },          // the seed network's conv2
        { 1, 32, 64, 14, 14, "2" },          // ... for one image: 49 tiles, the last through the one-row kernel
        { 2, 1, 32, 28, 28, "2" },           // its conv1: one input channel
        { 1, 3, 5, 9, 7, "0" },              // valid, odd output 5x3
        { 3, 5, 9, 8, 11, "1,2,0,3" },       // asymmetric padding, odd widths
        { 2, 17, 13, 6, 6, "4" },            // the largest padding; 17 channels fill no vector
        { 1, 40, 70, 5, 5, "same" },         // 5x5 image: one tile row and column short of even
        { 70, 2, 3, 5, 6, "2" },             // 70 images: the forward pass pads them in two chunks
        { 2, 1, 1, 1, 1, "2" },              // one pixel
    };

    [Theory, MemberData(nameof(Shapes))]
    public void Agrees_with_direct_loops_forward_and_backward(int batch, int inChannels, int outChannels, int h, int w, string padding)
    {
        Assert.SkipUnless(GemmMicroKernel.Selected != GemmMicroKernel.Kind.Scalar, "Winograd needs SIMD vectors; without them Conv2D falls back to im2col (tested in ConvIm2ColTests)");
        var rng = new Random(batch * 1000 + inChannels * 10 + h);
        var pad = Padding.Parse(padding);
        var direct = new Conv2D(inChannels, outChannels, 5, 5, 1, 1, pad, true, ConvAlgorithm.Direct);
        var winograd = new Conv2D(inChannels, outChannels, 5, 5, 1, 1, pad, true, ConvAlgorithm.Winograd);
        foreach (var p in direct.Parameters)
            for (int i = 0; i < p.Value.Length; i++) p.Value.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < direct.Parameters.Count; i++) winograd.Parameters[i].Value.CopyFrom(direct.Parameters[i].Value);
        var x = GradientCheck.Random(rng, batch, inChannels, h, w);

        var y1 = direct.Forward(x);
        var y2 = winograd.Forward(x);
        AssertClose(y1, y2, "y");
        var dy = GradientCheck.Random(rng, y1.Shape.ToArray());
        var dx1 = direct.Backward(dy)!;
        var dx2 = winograd.Backward(dy)!;
        AssertClose(dx1, dx2, "dx");
        AssertClose(direct.Weight.Grad, winograd.Weight.Grad, "dW");
        AssertClose(direct.Bias!.Grad, winograd.Bias!.Grad, "db");

        // Calling again reuses every buffer and the cached weight transform, and gives the same numbers.
        var again = winograd.Forward(x);
        Assert.Equal(y2.Span.ToArray(), again.Span.ToArray());
        winograd.Weight.Value.Data[0] += 1;   // a changed weight must be seen
        direct.Weight.Value.Data[0] += 1;
        AssertClose(direct.Forward(x), winograd.Forward(x), "y after a weight change");
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what) => GradientCheck.AssertAgree(expected, actual, what);

    [Theory]
    [InlineData(1)]   // one image: the strips of the forward pass go to different threads
    [InlineData(5)]   // a batch: images split for the weight gradient
    public void Two_threads_match_one_thread_bit_for_bit(int batch)
    {
        Assert.SkipUnless(GemmMicroKernel.Selected != GemmMicroKernel.Kind.Scalar, "Winograd needs SIMD vectors; without them Conv2D falls back to im2col (tested in ConvIm2ColTests)");
        var rng = new Random(batch);
        var conv = new Conv2D(32, 64, 5, Padding.Symmetric(2), algorithm: ConvAlgorithm.Winograd);
        Jimu.Models.Initializer.Initialize(conv, rng);
        var x = GradientCheck.Random(rng, batch, 32, 14, 14);
        var dy = GradientCheck.Random(rng, batch, 64, 14, 14);
        int saved = Parallelism.Threads;
        try
        {
            (float[] y, float[] dx, float[] dw, float[] db) Run(int threads)
            {
                Parallelism.Threads = threads;
                var y = conv.Forward(x).Span.ToArray();
                var dx = conv.Backward(dy)!.Span.ToArray();
                return (y, dx, conv.Weight.Grad.Span.ToArray(), conv.Bias!.Grad.Span.ToArray());
            }
            var one = Run(1);
            var two = Run(2);
            Assert.Equal(one.y, two.y);
            Assert.Equal(one.dx, two.dx);
            // The weight gradient sums per-thread parts, so it is deterministic per thread count, and close across them.
            var again = Run(2);
            Assert.Equal(two.dw, again.dw);
            Assert.Equal(two.db, again.db);
            AssertClose(Tensor.FromArray(one.dw, one.dw.Length), Tensor.FromArray(two.dw, two.dw.Length), "dW, 1 vs 2 threads");
        }
        finally { Parallelism.Threads = saved; }
    }

    [Fact]
    public void Auto_uses_Winograd_only_where_it_applies()
    {
        var g5 = ConvGeometry.Create("t", 32, 14, 14, 5, 5, 1, 1, Padding.Symmetric(2));
        Assert.Equal(GemmMicroKernel.Selected != GemmMicroKernel.Kind.Scalar, ConvWinograd.Supports(g5));
        Assert.False(ConvWinograd.Supports(ConvGeometry.Create("t", 32, 14, 14, 3, 3, 1, 1, Padding.Symmetric(1))));
        Assert.False(ConvWinograd.Supports(ConvGeometry.Create("t", 32, 14, 14, 5, 5, 2, 2, Padding.Symmetric(2))));
        Assert.False(ConvWinograd.Supports(ConvGeometry.Create("t", 32, 14, 14, 5, 5, 1, 1, Padding.Symmetric(5))));

        // Winograd asked for where it does not apply runs im2col, with the same numbers as the direct loops.
        var rng = new Random(9);
        var direct = new Conv2D(3, 4, 3, Padding.Symmetric(1), algorithm: ConvAlgorithm.Direct);
        var asked = new Conv2D(3, 4, 3, Padding.Symmetric(1), algorithm: ConvAlgorithm.Winograd);
        Jimu.Models.Initializer.Initialize(direct, rng);
        for (int i = 0; i < direct.Parameters.Count; i++) asked.Parameters[i].Value.CopyFrom(direct.Parameters[i].Value);
        var x = GradientCheck.Random(rng, 2, 3, 6, 6);
        AssertClose(direct.Forward(x), asked.Forward(x), "y");
    }
}
