using Jimu.Kernels;

namespace Jimu.Tests.Kernels;

/// <summary>
/// The packed, threaded GEMM against <see cref="GemmReference"/> and a double-precision product, over every
/// transpose combination, accumulate on and off, padded leading dimensions and sizes straddling the blocking.
/// </summary>
[Collection(nameof(Jimu.Tests.Training.AllocationCollection))]
public class GemmTests
{
    private static float[] Random(Random rng, int length)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    /// <summary>Runs Gemm.Multiply and checks it against the float reference and a double product.</summary>
    private static void Check(Random rng, int m, int n, int k, bool transA, bool transB, bool accumulate, int pad = 0)
    {
        int lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
        var a = Random(rng, (transA ? k : m) * lda);
        var b = Random(rng, (transB ? n : k) * ldb);
        var c0 = Random(rng, m * ldc);
        var c = (float[])c0.Clone();
        var cRef = (float[])c0.Clone();

        Gemm.Multiply(Ctx, m, n, k, a, lda, transA, b, ldb, transB, c, ldc, accumulate);
        if (!accumulate) for (int i = 0; i < m; i++) Array.Clear(cRef, i * ldc, n);
        GemmReference.Multiply(m, n, k, a, lda, transA, b, ldb, transB, cRef, ldc);

        double tol = 1e-5 * Math.Max(1, k) + 1e-6;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < ldc; j++)
            {
                int at = i * ldc + j;
                if (j >= n)
                {
                    Assert.True(c[at] == c0[at], $"padding C[{i},{j}] was written ({m}x{n}x{k} tA={transA} tB={transB})");
                    continue;
                }
                double exact = accumulate ? c0[at] : 0;
                for (int p = 0; p < k; p++)
                    exact += (double)(transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                if (Math.Abs(c[at] - exact) > tol * (1 + Math.Abs(exact)) || Math.Abs(c[at] - cRef[at]) > 2 * tol * (1 + Math.Abs(exact)))
                    Assert.Fail($"C[{i},{j}] = {c[at]}, exact {exact}, reference {cRef[at]} " +
                        $"(m={m} n={n} k={k} transA={transA} transB={transB} accumulate={accumulate} pad={pad} threads={Ctx.Threads})");
            }
    }

    /// <summary>The context the products run on (tests of one class run one after another).</summary>
    private static ComputeContext Ctx = new(1);

    private static void WithThreads(int threads, Action body)
    {
        var saved = Ctx;
        long savedThreshold = GemmDriver.ParallelThreshold;
        using var context = new ComputeContext(threads);
        try
        {
            Ctx = context;
            GemmDriver.ParallelThreshold = 0; // split even the small cases, to test the split
            body();
        }
        finally
        {
            Ctx = saved;
            GemmDriver.ParallelThreshold = savedThreshold;
        }
    }

    public static TheoryData<int> ThreadCounts => new() { 1, 2, 3 };

    [Theory]
    [MemberData(nameof(ThreadCounts))]
    public void RandomSmallSizes_AllTransposes(int threads) => WithThreads(threads, () =>
    {
        var rng = new Random(100 + threads);
        for (int trial = 0; trial < 60; trial++)
        {
            int m = rng.Next(1, 71), n = rng.Next(1, 71), k = rng.Next(1, 71);
            bool accumulate = trial % 2 == 1;
            int pad = trial % 3 == 0 ? rng.Next(1, 9) : 0;
            Check(rng, m, n, k, transA: (trial & 4) != 0, transB: (trial & 8) != 0, accumulate, pad);
        }
    });

    [Theory]
    [MemberData(nameof(ThreadCounts))]
    public void SizesStraddlingTheBlocking(int threads) => WithThreads(threads, () =>
    {
        var rng = new Random(7);
        int mr = GemmMicroKernel.MR, nr = GemmMicroKernel.NR, kc = GemmDriver.KC, mc = GemmDriver.MC, nc = GemmDriver.NC;
        (int m, int n, int k)[] shapes =
        [
            (mr, nr, 1), (mr - 1, nr + 1, 3), (mr + 1, nr - 1, 5), (2 * mr + 1, 2 * nr + 3, kc - 1),
            (3, 5, kc + 1), (mc + 1, nr + 7, 17), (mc - 1, 2 * nr, kc * 2 + 3), (9, nc + 1, 33),
            (2 * mr, nc - 1, kc), (2 * mr, nr + 16, 40), (mr, 16, 9), (mr + 3, 2 * nr + 16, 7), (mc + mr + 3, nc + nr + 5, 2 * kc + 1), (1, 1, 1), (1, 300, 40), (300, 1, 40),
        ];
        foreach (var (m, n, k) in shapes)
            for (int t = 0; t < 4; t++)
                Check(rng, m, n, k, transA: (t & 1) != 0, transB: (t & 2) != 0, accumulate: t == 1 || t == 2, pad: t == 3 ? 5 : 0);
    });

    [Fact]
    public void NetworkShapes_TwoThreads() => WithThreads(2, () =>
    {
        var rng = new Random(3);
        Check(rng, 64, 196, 800, false, false, false);
        Check(rng, 32, 784, 25, false, false, false);
        Check(rng, 64, 196, 160, false, true, true);  // dW = dY·colᵀ
        Check(rng, 200, 196, 64, true, false, false); // dcol = Wᵀ·dY
        Check(rng, 130, 100, 64, true, false, true);  // dW of a dense layer, dYᵀ·X
        Check(rng, 64, 70, 600, false, true, false);  // dense forward, x·Wᵀ
    });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void FewRows_LargeEnoughToSplit_AllTransposes(int threads) => WithThreads(threads, () =>
    {
        // m ≤ 4 streams B unpacked; n·k large enough that the columns are split over threads.
        var rng = new Random(11);
        foreach (int m in new[] { 1, 2, 3, 4 })
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    Check(rng, m, 517, 701, ta, tb, accumulate: m % 2 == 0, pad: m == 3 ? 5 : 0);
        Check(rng, 1, 512, 3136, false, true, false); // one image through fc1
    });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void BLargeEnoughToBePrefetched_AllTransposes(int threads) => WithThreads(threads, () =>
    {
        // k·n past the limit, with ragged k and column blocks, so the prefetch of the next block crosses both.
        var rng = new Random(13);
        int k = GemmDriver.KC * 3 + 5, n = (int)(GemmDriver.PrefetchBLimit / k) + GemmDriver.NC / 2 + 3;
        Check(rng, GemmMicroKernel.MR + 1, n, k, transA: false, transB: false, accumulate: false);
        Check(rng, GemmMicroKernel.MR + 1, n, k, transA: true, transB: true, accumulate: true, pad: 3);
    });

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(3, 2)]
    public void FewRows_TimesBTransposed_EqualsOneColumnAtATime_BitForBit(int m, int threads) => WithThreads(threads, () =>
    {
        // Columns go four at a time (the weights of a Linear layer at batch 1); each must be exactly the dot
        // product a lone column gets, so the batch-1 numbers do not depend on how the columns are grouped.
        var rng = new Random(m);
        foreach (int k in new[] { 3136, 100, 17, 64 })
        {
            int n = 515;
            var a = Random(rng, m * k);
            var b = Random(rng, n * k);
            var c = new float[m * n];
            Gemm.Multiply(Ctx, m, n, k, a, k, false, b, k, true, c, n);
            var one = new float[m];
            for (int j = 0; j < n; j++)
            {
                Gemm.Multiply(Ctx, m, 1, k, a, k, false, b.AsSpan(j * k, k), k, true, one, 1);
                for (int i = 0; i < m; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(one[i]) == BitConverter.SingleToInt32Bits(c[i * n + j]),
                        $"C[{i},{j}] (k={k}) = {c[i * n + j]}, alone {one[i]}");
            }
        }
    });

    /// <summary>
    /// Every split gives the bits of the plain product on one thread (each element summed whole by one thread), except
    /// Depth, which gives exactly the sum of the two halves' products (over p in <see cref="BatchSplit.Range"/> halves),
    /// on every thread count: a Linear layer's weight gradient cut by rows and its input gradient by depth.
    /// </summary>
    [Theory]
    [InlineData(64, 3136, 512, false, false, false)] // mnist-tf fc1: dx = dy·W
    [InlineData(256, 3136, 64, true, false, false)]  // vgg3 fc1: dW = dyᵀ·x
    [InlineData(64, 3136, 256, false, false, true)]
    [InlineData(37, 301, 77, true, true, false)]
    [InlineData(9, 40, 3, false, true, true)]
    public void Splits_are_the_plain_products_bits_and_depth_the_sum_of_its_halves(int m, int n, int k, bool transA, bool transB, bool accumulate)
    {
        var rng = new Random(m + n + k);
        int lda = (transA ? m : k) + 1, ldb = (transB ? k : n) + 2, ldc = n + 3;
        var a = Random(rng, (transA ? k : m) * lda);
        var b = Random(rng, (transB ? n : k) * ldb);
        var c0 = Random(rng, m * ldc);
        var plain = (float[])c0.Clone();
        var halves = (float[])c0.Clone();
        var second = new float[m * ldc];
        using (var one = new ComputeContext(1))
        {
            Gemm.Multiply(one, m, n, k, a, lda, transA, b, ldb, transB, plain, ldc, accumulate);
            var (_, h) = BatchSplit.Range(k, 0, GemmDepth.Groups);
            // op(A)[:, 0..h)·op(B)[0..h, :] (+ C), then + op(A)[:, h..k)·op(B)[h..k, :]
            Gemm.Multiply(one, m, n, h, a, lda, transA, b, ldb, transB, halves, ldc, accumulate);
            Gemm.Multiply(one, m, n, k - h, a.AsSpan(transA ? h * lda : h), lda, transA, b.AsSpan(transB ? h : h * ldb), ldb, transB, second, ldc);
            for (int i = 0; i < m; i++) Elementwise.Add(halves.AsSpan(i * ldc, n), second.AsSpan(i * ldc, n));
        }
        long saved = GemmDriver.ParallelThreshold;
        try
        {
            GemmDriver.ParallelThreshold = 0;
            foreach (int threads in new[] { 1, 2, 3, 4 })
                foreach (var split in new[] { GemmSplit.Auto, GemmSplit.Columns, GemmSplit.Rows, GemmSplit.Depth })
                {
                    using var ctx = new ComputeContext(threads);
                    var c = (float[])c0.Clone();
                    Gemm.Multiply(ctx, m, n, k, a, lda, transA, b, ldb, transB, c, ldc, accumulate, split);
                    Assert.True((split == GemmSplit.Depth ? halves : plain).AsSpan().SequenceEqual(c), $"{split} on {threads} threads");
                }
        }
        finally
        {
            GemmDriver.ParallelThreshold = saved;
        }
    }

    [Fact]
    public void KZero_ClearsOrKeepsC()
    {
        var c = new float[] { 1, 2, 3, 4 };
        Gemm.Multiply(Ctx, 2, 2, 0, [], 0, false, [], 2, false, c, 2, accumulate: true);
        Assert.Equal([1f, 2, 3, 4], c);
        Gemm.Multiply(Ctx, 2, 2, 0, [], 0, false, [], 2, false, c, 2);
        Assert.Equal([0f, 0, 0, 0], c);
    }

    [Fact]
    public void TooShortSpans_Throw()
    {
        var a = new float[6]; var b = new float[6]; var c = new float[4];
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(Ctx, 2, 2, 3, a.AsSpan(0, 5), 3, false, b, 2, false, c, 2));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(Ctx, 2, 2, 3, a, 3, false, b.AsSpan(0, 5), 2, false, c, 2));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(Ctx, 2, 2, 3, a, 3, false, b, 2, false, c.AsSpan(0, 3), 2));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(Ctx, 2, 2, 3, a, 2, false, b, 2, false, c, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(Ctx, -1, 2, 3, a, 3, false, b, 2, false, c, 2));
    }

    [Fact]
    public void AfterWarmUp_AllocatesNothing()
    {
        var saved = Ctx;
        using var context = new ComputeContext(2);
        try
        {
            Ctx = context;
            var rng = new Random(5);
            (int m, int n, int k, bool ta, bool tb)[] shapes =
                [(64, 196, 800, false, false), (32, 784, 25, false, false), (64, 800, 196, false, true), (200, 196, 64, true, false), (5, 7, 3, false, false)];
            var buffers = shapes.Select(s => (a: Random(rng, s.m * s.k), b: Random(rng, s.k * s.n), c: new float[s.m * s.n])).ToArray();
            void RunAll()
            {
                for (int i = 0; i < shapes.Length; i++)
                {
                    var (m, n, k, ta, tb) = shapes[i];
                    var (a, b, c) = buffers[i];
                    Gemm.Multiply(Ctx, m, n, k, a, ta ? m : k, ta, b, tb ? k : n, tb, c, n, accumulate: i % 2 == 0);
                }
            }
            // Chunks are claimed dynamically, so a worker may first take part (and allocate its pack buffers, once)
            // a few calls in: warm up long enough for every thread to have done so.
            for (int w = 0; w < 30; w++) RunAll();
            // The calling thread exactly; every thread (workers included) by the least of several windows, since
            // the test runner and the runtime allocate now and then on threads of their own.
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int r = 0; r < 20; r++) RunAll();
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            long leastTotal = long.MaxValue;
            for (int attempt = 0; attempt < 5 && leastTotal > 0; attempt++)
            {
                long totalBefore = GC.GetTotalAllocatedBytes(precise: true);
                for (int r = 0; r < 20; r++) RunAll();
                leastTotal = Math.Min(leastTotal, GC.GetTotalAllocatedBytes(precise: true) - totalBefore);
            }
            Assert.True(leastTotal == 0, $"{leastTotal} bytes allocated by all threads during 100 GEMMs");
        }
        finally { Ctx = saved; }
    }
}
