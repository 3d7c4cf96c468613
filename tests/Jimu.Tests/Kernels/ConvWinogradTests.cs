using System.Runtime.Intrinsics;
using Jimu.Kernels;
using Jimu.Layers;
using Jimu.Tensors;

namespace Jimu.Tests.Kernels;

/// <summary>
/// Winograd F(2×2, 5×5), F(4×4, 5×5) and F(4×4, 3×3): their transforms are the published matrices, and the convolution agrees with the direct loops
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

    // F(4, 3) with the same points: G is F(2, 5)'s first three columns, Aᵀ the points' powers 0..3.
    private static readonly double[,] G3 =
    {
        { 1 / 4.0, 0, 0 }, { -1 / 6.0, -1 / 6.0, -1 / 6.0 }, { -1 / 6.0, 1 / 6.0, -1 / 6.0 },
        { 1 / 24.0, 1 / 12.0, 1 / 6.0 }, { 1 / 24.0, -1 / 12.0, 1 / 6.0 }, { 0, 0, 1 },
    };
    private static readonly double[,] AT4 = { { 1, 1, 1, 1, 1, 0 }, { 0, 1, -1, 2, -2, 0 }, { 0, 1, 1, 4, 4, 0 }, { 0, 1, -1, 8, -8, 1 } };

    // F(4, 5) with the points 0, ±1, ±2, ±1/2, ∞ (wincnn; Bᵀ as NNPACK's F(6, 3)).
    private static readonly double[,] BT8 =
    {
        { 1, 0, -21 / 4.0, 0, 21 / 4.0, 0, -1, 0 }, { 0, 1, 1, -17 / 4.0, -17 / 4.0, 1, 1, 0 },
        { 0, -1, 1, 17 / 4.0, -17 / 4.0, -1, 1, 0 }, { 0, 1 / 2.0, 1 / 4.0, -5 / 2.0, -5 / 4.0, 2, 1, 0 },
        { 0, -1 / 2.0, 1 / 4.0, 5 / 2.0, -5 / 4.0, -2, 1, 0 }, { 0, 2, 4, -5 / 2.0, -5, 1 / 2.0, 1, 0 },
        { 0, -2, 4, 5 / 2.0, -5, -1 / 2.0, 1, 0 }, { 0, -1, 0, 21 / 4.0, 0, -21 / 4.0, 0, 1 },
    };
    private static readonly double[,] G8 =
    {
        { 1, 0, 0, 0, 0 }, { -2 / 9.0, -2 / 9.0, -2 / 9.0, -2 / 9.0, -2 / 9.0 }, { -2 / 9.0, 2 / 9.0, -2 / 9.0, 2 / 9.0, -2 / 9.0 },
        { 1 / 90.0, 1 / 45.0, 2 / 45.0, 4 / 45.0, 8 / 45.0 }, { 1 / 90.0, -1 / 45.0, 2 / 45.0, -4 / 45.0, 8 / 45.0 },
        { 32 / 45.0, 16 / 45.0, 8 / 45.0, 4 / 45.0, 2 / 45.0 }, { 32 / 45.0, -16 / 45.0, 8 / 45.0, -4 / 45.0, 2 / 45.0 }, { 0, 0, 0, 0, 1 },
    };
    private static readonly double[,] AT8 =
    {
        { 1, 1, 1, 1, 1, 1, 1, 0 }, { 0, 1, -1, 2, -2, 1 / 2.0, -1 / 2.0, 0 },
        { 0, 1, 1, 4, 4, 1 / 4.0, 1 / 4.0, 0 }, { 0, 1, -1, 8, -8, 1 / 8.0, -1 / 8.0, 1 },
    };

    [Theory, MemberData(nameof(SimdWidths.All), MemberType = typeof(SimdWidths))]
    public void Transforms_are_the_matrices_of_F2x5_and_their_adjoints(int bits) => SimdWidths.Run(bits, new TransformTest<WinogradF2x5>(BT, G, AT));

    [Theory, MemberData(nameof(SimdWidths.All), MemberType = typeof(SimdWidths))]
    public void Transforms_are_the_matrices_of_F4x5_and_their_adjoints(int bits) => SimdWidths.Run(bits, new TransformTest<WinogradF4x5>(BT8, G8, AT8));

    [Theory, MemberData(nameof(SimdWidths.All), MemberType = typeof(SimdWidths))]
    public void Transforms_are_the_matrices_of_F4x3_and_their_adjoints(int bits) => SimdWidths.Run(bits, new TransformTest<WinogradF4x3>(BT, G3, AT4));

    /// <summary>Each transform of <typeparamref name="T"/> at one width, against the matrices in double, on every lane.</summary>
    private readonly struct TransformTest<T>(double[,] bt, double[,] g, double[,] at) : IWidthTest where T : struct, IWinogradTiles
    {
        public void Run<S, V>() where S : struct, ISimdWidth<V> where V : unmanaged
        {
            int m = T.Out, r = T.Kernel, alpha = T.Alpha, lanes = S.Lanes;
            Assert.Equal(m, at.GetLength(0));
            Assert.Equal(r, g.GetLength(1));
            Assert.Equal(alpha, bt.GetLength(0));
            Assert.Equal(m + r - 1, alpha);
            var rng = new Random(3);
            // Entry e of an α×α (or smaller) matrix is vector e, lane l holding the matrix times (l + 1): every lane checked.
            V* block = stackalloc V[64];
            float* blockF = (float*)block;
            float* src = stackalloc float[64 * 16];
            float* dst = stackalloc float[64 * 16];
            void Fill(float* to, double[,] matrix)
            {
                int cols = matrix.GetLength(1);
                for (int e = 0; e < matrix.Length; e++)
                    for (int l = 0; l < lanes; l++) to[e * lanes + l] = (float)(matrix[e / cols, e % cols] * (l + 1));
            }
            void Check(double[,] expected, float* actual, int stride, double tol, string what)
            {
                int cols = expected.GetLength(1);
                for (int l = 0; l < lanes; l++)
                    AssertMatrix(expected, (i, j) => actual[(i * cols + j) * stride + l] / (l + 1), tol, $"{what}, lane {l} of {lanes}");
            }
            for (int trial = 0; trial < 5; trial++)
            {
                // V = Bᵀ d B: d[i][j] at (αi + j)·L.
                var d = RandomMatrix(rng, alpha, alpha);
                Fill(src, d);
                T.InputTransform<S, V>(src, alpha * lanes, lanes, dst, lanes, block);
                Check(Mul(Mul(bt, d), Transpose(bt)), dst, lanes, 1e-4, "Bᵀ d B");

                // y = Aᵀ M A + bias, rows of the output tile 8 vectors apart (bias added to lane l as 0.5·(l + 1)).
                var mm = RandomMatrix(rng, alpha, alpha);
                Fill(src, mm);
                for (int l = 0; l < lanes; l++) dst[l] = 0.5f * (l + 1);
                T.OutputTransform<S, V>(src, lanes, S.Load(dst), block, 8);
                var expected = Mul(Mul(at, mm), Transpose(at));
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < m; j++) expected[i, j] += 0.5;
                for (int l = 0; l < lanes; l++)
                    AssertMatrix(expected, (i, j) => blockF[(i * 8 + j) * lanes + l] / (l + 1), 1e-4, $"Aᵀ M A, lane {l}");

                // dM = A dY Aᵀ.
                var dy = RandomMatrix(rng, m, m);
                Fill(blockF, dy);
                T.OutputGradientTransform<S, V>(block, dst, lanes);
                Check(Mul(Mul(Transpose(at), dy), at), dst, lanes, 1e-4, "A dY Aᵀ");

                // U = G g Gᵀ and dg = Gᵀ dU G, one kernel per lane.
                var kernel = RandomMatrix(rng, r, r);
                Fill(blockF, kernel);
                T.KernelTransform<S, V>(block, dst, lanes);
                Check(Mul(Mul(g, kernel), Transpose(g)), dst, lanes, 1e-5, "G g Gᵀ");

                var du = RandomMatrix(rng, alpha, alpha);
                Fill(src, du);
                T.KernelGradientTransform<S, V>(src, lanes, block);
                Check(Mul(Mul(Transpose(g), du), g), blockF, lanes, 1e-5, "Gᵀ dU G");
            }
        }
    }

    [Theory]
    [InlineData(2, 5)]
    [InlineData(4, 5)]
    [InlineData(4, 3)]
    public void Fmr_computes_the_correlation_of_a_tile(int m, int r)
    {
        // Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A = Σ_ab g[a,b] d[i+a, j+b], in exact arithmetic.
        var (bt, gm, at) = (m, r) switch { (2, 5) => (BT, G, AT), (4, 5) => (BT8, G8, AT8), _ => (BT, G3, AT4) };
        int alpha = m + r - 1;
        var rng = new Random(4);
        var d = RandomMatrix(rng, alpha, alpha);
        var g = RandomMatrix(rng, r, r);
        var u = Mul(Mul(gm, g), Transpose(gm));
        var v = Mul(Mul(bt, d), Transpose(bt));
        var uv = new double[alpha, alpha];
        for (int i = 0; i < alpha; i++)
            for (int j = 0; j < alpha; j++) uv[i, j] = u[i, j] * v[i, j];
        var y = Mul(Mul(at, uv), Transpose(at));
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
            {
                double s = 0;
                for (int a = 0; a < r; a++)
                    for (int b = 0; b < r; b++) s += g[a, b] * d[i + a, j + b];
                Assert.Equal(s, y[i, j], 9);
            }
    }

    public static TheoryData<int, int, int, int, int, int, string> Shapes => new()
    {
        { 5, 4, 32, 64, 14, 14, "2" },          // the seed network's conv2
        { 5, 1, 32, 64, 14, 14, "2" },          // ... for one image: 49 tiles, the last through the one-row kernel
        { 5, 2, 1, 32, 28, 28, "2" },           // its conv1: one input channel
        { 5, 1, 3, 5, 9, 7, "0" },              // valid, odd output 5x3
        { 5, 3, 5, 9, 8, 11, "1,2,0,3" },       // asymmetric padding, odd widths
        { 5, 2, 17, 13, 6, 6, "4" },            // the largest padding; 17 channels fill no vector
        { 5, 1, 40, 70, 5, 5, "same" },         // 5x5 image: one tile row and column short of even
        { 5, 70, 2, 3, 5, 6, "2" },             // 70 images: the forward pass pads them in two chunks
        { 5, 2, 1, 1, 1, 1, "2" },              // one pixel
        { 3, 2, 32, 32, 28, 28, "1" },          // vgg3's conv2: 7x7 tiles of 4x4
        { 3, 1, 32, 64, 14, 14, "1" },          // its conv3 for one image: 16 tiles, the last 2 of 14 rows and columns cut
        { 3, 3, 64, 64, 14, 14, "1" },          // its conv4
        { 3, 1, 3, 5, 9, 7, "0" },              // valid, odd output 7x5
        { 3, 3, 5, 9, 8, 11, "1,2,0,1" },       // asymmetric padding, widths that are no multiple of 4
        { 3, 2, 17, 13, 6, 6, "2" },            // the largest padding; 17 channels fill no vector
        { 3, 1, 40, 70, 3, 5, "same" },         // 3x5 image: one tile, mostly cut
        { 3, 70, 2, 3, 5, 6, "1" },             // 70 images: the forward pass pads them in two chunks
        { 3, 64, 16, 16, 9, 9, "1" },           // batch 64, 3x3 tiles per image
        { 3, 9, 8, 8, 28, 28, "1" },            // 9 images: 3 weight-gradient groups of 147 tiles, each 3 chunks of 49
        { 3, 2, 1, 1, 1, 1, "2" },              // one pixel
        { 3, 1, 7, 20, 37, 21, "1" },           // a row of more than 16 / 4 tiles: runs cut at 4 tiles
    };

    [Theory, MemberData(nameof(Shapes))]
    public void Agrees_with_direct_loops_forward_and_backward(int kernel, int batch, int inChannels, int outChannels, int h, int w, string padding)
    {
        SkipWithoutVectors();
        var rng = new Random(batch * 1000 + inChannels * 10 + h);
        var pad = Padding.Parse(padding);
        var direct = new Conv2D(inChannels, outChannels, kernel, kernel, 1, 1, pad, true, ConvAlgorithm.Direct);
        var winograd = new Conv2D(inChannels, outChannels, kernel, kernel, 1, 1, pad, true, ConvAlgorithm.Winograd);
        Assert.Equal(ConvAlgorithm.Winograd, winograd.AlgorithmFor([batch, inChannels, h, w]));
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
        // A weight written directly is not seen until MarkChanged says so (documented: the transform is cached by version)...
        winograd.Weight.Value.Data[0] += 1;
        direct.Weight.Value.Data[0] += 1;
        Assert.Equal(y2.Span.ToArray(), winograd.Forward(x).Span.ToArray());
        // ... and then it is.
        winograd.Weight.MarkChanged();
        AssertClose(direct.Forward(x), winograd.Forward(x), "y after a weight change");
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what) => GradientCheck.AssertAgree(expected, actual, what);

    private static void SkipWithoutVectors() =>
        Assert.SkipWhen(GemmMicroKernel.Selected == GemmMicroKernel.Kind.Scalar,
            "Winograd needs vectors (of any width); without SIMD Conv2D falls back to im2col (tested in ConvIm2ColTests)");

    public static TheoryData<int, int, int, int, int, int, int, string> ShapesAtEveryWidth()
    {
        var data = new TheoryData<int, int, int, int, int, int, int, string>();
        foreach (int bits in new[] { 512, 256, 128 })
            foreach (var row in Shapes)
            {
                var p = ((ITheoryDataRow)row).GetData();
                data.Add(bits, (int)p[0]!, (int)p[1]!, (int)p[2]!, (int)p[3]!, (int)p[4]!, (int)p[5]!, (string)p[6]!);
            }
        return data;
    }

    /// <summary>
    /// The kernels themselves at each width the machine has (the layer above runs the selected one): forward, input
    /// gradient, weight and bias gradients against im2col + GEMM (itself checked against the direct loops in
    /// ConvStrategyTests; the direct loops here would double the ARM64 leg's time under qemu), on one and two threads.
    /// </summary>
    [Theory, MemberData(nameof(ShapesAtEveryWidth))]
    public void Every_width_agrees_with_im2col(int bits, int kernel, int batch, int inChannels, int outChannels, int h, int w, string padding) =>
        SimdWidths.Run(bits, new AgreementTest(kernel, batch, inChannels, outChannels, h, w, padding));

    private readonly struct AgreementTest(int kernel, int batch, int inChannels, int outChannels, int h, int w, string padding) : IWidthTest
    {
        public void Run<S, V>() where S : struct, ISimdWidth<V> where V : unmanaged
        {
            var g = ConvGeometry.Create("t", inChannels, h, w, kernel, kernel, 1, 1, Padding.Parse(padding));
            Assert.True(ConvWinograd.Supports<S, V>(g));
            var rng = new Random(batch * 1000 + inChannels * 10 + h + S.Lanes);
            float[] R(int length) { var a = new float[length]; for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1); return a; }
            float[] x = R(batch * g.InSize), weight = R(outChannels * g.PatchSize), bias = R(outChannels), dy = R(batch * outChannels * g.OutPlane);
            float[] yRef = new float[dy.Length], dxRef = new float[x.Length], dwRef = new float[weight.Length], dbRef = new float[outChannels];
            using (var one = new ComputeContext(1))
            {
                var im2col = ConvStrategies.Im2Col;
                im2col.Forward(one, new ConvCache(), x, weight, bias, yRef, batch, outChannels, g);
                im2col.BackwardInput(one, new ConvCache(), dy, weight, dxRef, batch, outChannels, g);
                im2col.BackwardWeights(one, new ConvCache(), x, dy, dwRef, dbRef, batch, outChannels, g);
            }
            // A 5×5 kernel runs with either tile size (TileFor picks one by the output size), a 3×3 with 4×4 tiles. One
            // cache of the transformed weights (and one of the rotated) for all: a tile size must not take the other's.
            var cache = new WinogradWeights { WeightVersion = 1 };
            var rotatedCache = new WinogradWeights { WeightVersion = 1 };
            foreach (int tile in kernel == 5 ? new[] { 2, 4 } : new[] { 0 })
            foreach (int threads in new[] { 1, 2 })
            {
                using var ctx = new ComputeContext(threads);
                float[] y = new float[dy.Length], dx = new float[x.Length], dw = new float[weight.Length], db = new float[outChannels];
                ConvWinograd.Forward<S, V>(ctx, cache, x, weight, bias, y, batch, outChannels, g, tile);
                ConvWinograd.BackwardInput<S, V>(ctx, rotatedCache, dy, weight, dx, batch, outChannels, g, tile);
                ConvWinograd.BackwardWeights<S, V>(ctx, x, dy, dw, db, batch, outChannels, g, tile);
                string what = $" at {S.Lanes * 32} bits, tile {tile}, {threads} thread(s)";
                AssertClose(Tensor.FromArray(yRef, yRef.Length), Tensor.FromArray(y, y.Length), "y" + what);
                AssertClose(Tensor.FromArray(dxRef, dxRef.Length), Tensor.FromArray(dx, dx.Length), "dx" + what);
                AssertClose(Tensor.FromArray(dwRef, dwRef.Length), Tensor.FromArray(dw, dw.Length), "dW" + what);
                AssertClose(Tensor.FromArray(dbRef, dbRef.Length), Tensor.FromArray(db, db.Length), "db" + what);
            }
        }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(3)]
    public void Transformed_weights_follow_an_optimizer_step(int kernel)
    {
        SkipWithoutVectors();
        var rng = new Random(kernel);
        var direct = new Conv2D(16, 24, kernel, Padding.Symmetric(kernel / 2), algorithm: ConvAlgorithm.Direct);
        var winograd = new Conv2D(16, 24, kernel, Padding.Symmetric(kernel / 2), algorithm: ConvAlgorithm.Winograd);
        Jimu.Models.Initializer.Initialize(direct, rng);
        for (int i = 0; i < direct.Parameters.Count; i++) { winograd.Parameters[i].Value.CopyFrom(direct.Parameters[i].Value); winograd.Parameters[i].MarkChanged(); }
        var x = GradientCheck.Random(rng, 2, 16, 9, 9);
        var dy = GradientCheck.Random(rng, 2, 24, 9, 9);
        var sgdDirect = new Jimu.Training.Sgd([.. direct.Parameters.Select(p => (p.Name, p))], 0.5f);
        var sgdWinograd = new Jimu.Training.Sgd([.. winograd.Parameters.Select(p => (p.Name, p))], 0.5f);
        for (int step = 0; step < 3; step++)
        {
            // Forward and input gradient read the transforms made for this step's weights (the rotated one included).
            AssertClose(direct.Forward(x), winograd.Forward(x), $"y at step {step}");
            AssertClose(direct.Backward(dy)!, winograd.Backward(dy)!, $"dx at step {step}");
            long version = winograd.Weight.Version;
            sgdDirect.Step();
            sgdWinograd.Step();
            Assert.Equal(version + 1, winograd.Weight.Version);
        }
    }

    [Theory]
    [InlineData(5, 1)]   // one image: the strips of the forward pass go to different threads
    [InlineData(5, 5)]   // a batch: images split for the weight gradient
    [InlineData(3, 1)]
    [InlineData(3, 64)]
    public void Two_threads_match_one_thread_bit_for_bit(int kernel, int batch)
    {
        SkipWithoutVectors();
        var rng = new Random(batch);
        var conv = new Conv2D(32, 64, kernel, Padding.Symmetric(kernel / 2), algorithm: ConvAlgorithm.Winograd);
        Jimu.Models.Initializer.Initialize(conv, rng);
        var x = GradientCheck.Random(rng, batch, 32, 14, 14);
        var dy = GradientCheck.Random(rng, batch, 64, 14, 14);
        using var oneThread = new ComputeContext(1);
        using var twoThreads = new ComputeContext(2);
        {
            (float[] y, float[] dx, float[] dw, float[] db) Run(int threads)
            {
                conv.Context = threads == 1 ? oneThread : twoThreads;
                var y = conv.Forward(x).Span.ToArray();
                var dx = conv.Backward(dy)!.Span.ToArray();
                return (y, dx, conv.Weight.Grad.Span.ToArray(), conv.Bias!.Grad.Span.ToArray());
            }
            var one = Run(1);
            var two = Run(2);
            Assert.Equal(one.y, two.y);
            Assert.Equal(one.dx, two.dx);
            // The weight gradient sums fixed image groups along a fixed tree: the same bits on any number of threads.
            Assert.Equal(one.dw, two.dw);
            Assert.Equal(one.db, two.db);
        }

    }

    [Fact]
    public void A_5x5_kernel_takes_the_tile_size_with_fewer_products()
    {
        ConvGeometry G5(int h, int w, int pad) => ConvGeometry.Create("t", 32, h, w, 5, 5, 1, 1, Padding.Symmetric(pad));
        Assert.Equal(4, ConvWinograd.TileFor(G5(14, 14, 2)));   // mnist-tf's conv2: 16 tiles of 64 products against 49 of 36
        Assert.Equal(4, ConvWinograd.TileFor(G5(14, 14, 0)));   // LeNet-5's conv2, 10×10: 9 · 64 against 25 · 36
        Assert.Equal(4, ConvWinograd.TileFor(G5(28, 28, 2)));
        Assert.Equal(4, ConvWinograd.TileFor(G5(7, 7, 0)));     // 3×3: 64 against 4 · 36
        Assert.Equal(2, ConvWinograd.TileFor(G5(6, 6, 0)));     // 2×2: 64 against 36
        Assert.Equal(2, ConvWinograd.TileFor(G5(5, 9, 0)));     // 1×5: 2 · 64 against 3 · 36
        Assert.Equal(2, ConvWinograd.TileFor(G5(1, 1, 2)));     // one pixel: 64 against 36
        Assert.Equal(4, ConvWinograd.TileFor(ConvGeometry.Create("t", 32, 14, 14, 3, 3, 1, 1, Padding.Symmetric(1))));
    }

    [Fact]
    public void A_layer_with_few_channels_runs_at_256_bits_where_512_would_pad_twice_as_much()
    {
        var selected = GemmMicroKernel.Selected;
        var narrow = selected == GemmMicroKernel.Kind.Vector512 ? GemmMicroKernel.Kind.Vector256 : selected;
        Assert.Equal(selected, ConvWinograd.WidthFor(32, 64));   // mnist-tf's conv2: whole vectors and panels at 512 bits
        Assert.Equal(selected, ConvWinograd.WidthFor(64, 64));
        Assert.Equal(selected, ConvWinograd.WidthFor(20, 40));
        Assert.Equal(narrow, ConvWinograd.WidthFor(6, 16));      // LeNet-5's conv2, and its input gradient's products
        Assert.Equal(narrow, ConvWinograd.WidthFor(16, 6));
        Assert.Equal(narrow, ConvWinograd.WidthFor(4, 32));
    }

    [Fact]
    public void Auto_uses_Winograd_only_where_it_applies()
    {
        // Every width with vectors runs it; only a machine (or leg) without SIMD does not.
        bool vectors = GemmMicroKernel.Selected != GemmMicroKernel.Kind.Scalar;
        Assert.Equal(vectors, Vector128.IsHardwareAccelerated);
        var g5 = ConvGeometry.Create("t", 32, 14, 14, 5, 5, 1, 1, Padding.Symmetric(2));
        Assert.Equal(vectors, ConvWinograd.Supports(g5));
        Assert.Equal(vectors, ConvWinograd.Supports(ConvGeometry.Create("t", 32, 14, 14, 3, 3, 1, 1, Padding.Symmetric(1))));
        Assert.Equal(vectors, ConvWinograd.Supports(ConvGeometry.Create("t", 32, 14, 14, 3, 3, 1, 1, Padding.Symmetric(2))));
        Assert.False(ConvWinograd.Supports(ConvGeometry.Create("t", 32, 14, 14, 3, 3, 1, 1, Padding.Symmetric(3))));
        Assert.False(ConvWinograd.Supports(ConvGeometry.Create("t", 32, 14, 14, 3, 3, 2, 2, Padding.Symmetric(1))));
        Assert.False(ConvWinograd.Supports(ConvGeometry.Create("t", 32, 14, 14, 3, 5, 1, 1, Padding.Symmetric(1))));
        Assert.False(ConvWinograd.Supports(ConvGeometry.Create("t", 32, 14, 14, 4, 4, 1, 1, Padding.Symmetric(1))));
        Assert.False(ConvWinograd.Supports(ConvGeometry.Create("t", 32, 14, 14, 5, 5, 2, 2, Padding.Symmetric(2))));
        Assert.False(ConvWinograd.Supports(ConvGeometry.Create("t", 32, 14, 14, 5, 5, 1, 1, Padding.Symmetric(5))));

        // Auto: 3×3 stride 1 with enough input channels is Winograd; a first layer is not.
        Assert.Equal(vectors ? ConvAlgorithm.Winograd : ConvAlgorithm.Im2Col,
            new Conv2D(32, 32, 3, Padding.Symmetric(1)).AlgorithmFor([1, 32, 28, 28]));
        Assert.NotEqual(ConvAlgorithm.Winograd, new Conv2D(1, 32, 3, Padding.Symmetric(1)).AlgorithmFor([1, 1, 28, 28]));

        // Winograd asked for where it does not apply runs im2col, with the same numbers as the direct loops.
        var rng = new Random(9);
        var direct = new Conv2D(3, 4, 3, Padding.Symmetric(1), stride: 2, algorithm: ConvAlgorithm.Direct);
        var asked = new Conv2D(3, 4, 3, Padding.Symmetric(1), stride: 2, algorithm: ConvAlgorithm.Winograd);
        Jimu.Models.Initializer.Initialize(direct, rng);
        for (int i = 0; i < direct.Parameters.Count; i++) asked.Parameters[i].Value.CopyFrom(direct.Parameters[i].Value);
        var x = GradientCheck.Random(rng, 2, 3, 6, 6);
        AssertClose(direct.Forward(x), asked.Forward(x), "y");
    }
}
