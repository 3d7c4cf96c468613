using Jimu.Kernels;

namespace Jimu.Tests.Kernels;

/// <summary>
/// <see cref="SparseGemm"/>: C = op(A)·B reading only op(A)'s non-zeros. Each element of C is exactly the FMA chain over
/// the non-zero entries of its row of op(A) in ascending order, at every vector width, with A transposed or not, on any
/// thread count and every split over the threads (<see cref="GemmSplit.Depth"/>: the two fixed groups' chains, added).
/// </summary>
public unsafe class SparseGemmTests
{
    public static TheoryData<int, int, int, int, double, bool> Cases()
    {
        var data = new TheoryData<int, int, int, int, double, bool>();
        foreach (int bits in new[] { 512, 256, 128 })
        {
            data.Add(bits, 64, 3136, 512, 0.75, false);   // mnist-tf's fc1: dx = dy·W
            data.Add(bits, 512, 3136, 64, 0.75, true);    // and dW = dyᵀ·x
            data.Add(bits, 7, 301, 13, 0.5, false);       // ragged: a partial last block and vector
            data.Add(bits, 11, 301, 300, 0.6, false);     // several passes over B, ragged
            data.Add(bits, 9, 70, 5, 0.3, true);
            data.Add(bits, 5, 3, 4, 0.0, false);          // narrower than one vector, no zeros
            data.Add(bits, 6, 40, 8, 1.0, true);          // all zeros: C = 0
        }
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Each_element_is_the_chain_over_the_non_zeros_at_every_width(int bits, int m, int n, int k, double zeros, bool transA) =>
        SimdWidths.Run(bits, new AtWidth(m, n, k, zeros, transA));

    private readonly struct AtWidth(int m, int n, int k, double zeros, bool transA) : IWidthTest
    {
        public void Run<S, V>() where S : struct, ISimdWidth<V> where V : unmanaged
        {
            var rng = new Random(m * 7 + n + k);
            int lda = (transA ? m : k) + 3, ldb = n + 5, ldc = n + 1;
            var a = new float[(transA ? k : m) * lda];
            for (int i = 0; i < a.Length; i++) a[i] = rng.NextDouble() < zeros ? 0f : (float)(rng.NextDouble() * 2 - 1);
            var b = new float[k * ldb];
            for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() * 2 - 1);
            bool fused = System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;
            // The chain over p in [p0, p1) for element (i, j).
            bool t = transA;
            float Chain(int i, int j, int p0, int p1)
            {
                float s = 0;
                for (int p = p0; p < p1; p++)
                {
                    float aip = t ? a[p * lda + i] : a[i * lda + p];
                    if (aip != 0f) s = fused ? MathF.FusedMultiplyAdd(aip, b[p * ldb + j], s) : aip * b[p * ldb + j] + s;
                }
                return s;
            }
            foreach (var split in new[] { GemmSplit.Columns, GemmSplit.Rows, GemmSplit.Depth })
            {
                var expected = new float[m * ldc];
                var (_, half) = BatchSplit.Range(k, 0, GemmDepth.Groups);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                        expected[i * ldc + j] = split == GemmSplit.Depth ? Chain(i, j, 0, half) + Chain(i, j, half, k) : Chain(i, j, 0, k);
                foreach (int threads in new[] { 1, 2, 3, 4 })
                {
                    using var ctx = new ComputeContext(threads);
                    var c = new float[m * ldc];
                    Array.Fill(c, float.NaN);   // overwritten, not added to; the gaps between rows stay untouched
                    SparseGemm.Multiply<S, V>(ctx, m, n, k, a, lda, transA, b, ldb, c, ldc, split);
                    for (int i = 0; i < m; i++)
                    {
                        Assert.Equal(expected.AsSpan(i * ldc, n).ToArray(), c.AsSpan(i * ldc, n).ToArray());
                        Assert.True(float.IsNaN(c[i * ldc + n]), $"column {n} of row {i} was written ({split}, {threads} threads)");
                    }
                }
            }
        }
    }

    [Fact]
    public void Pays_only_below_the_density_limit()
    {
        Assert.SkipUnless(SparseGemm.Supported, "SparseGemm needs vectors");
        Assert.True(SparseGemm.Pays(250, 1000));
        Assert.False(SparseGemm.Pays(600, 1000));
        Assert.Equal(3, SparseGemm.CountNonZero([0f, 1f, -0f, 2f, float.NaN, 0f]));
    }
}
