using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Jimu.Kernels;

/// <summary>
/// Batch normalisation, ReLU and a 2×2 max pool (stride 2, no padding) as one step over x [N, C, H, W], so that the
/// normalised and rectified tensor is never written: per channel c, with z = x·scale[c] + shift[c] (one FMA),
/// <code>
/// Forward:        y[o] = relu(max of z over window o),  at[o] = the plane index of the window's first maximum
///                 (NaN wins, as in <see cref="MaxPool2x2"/>), or −1 where the maximum is not positive (no gradient passes)
/// Sums:           sumDy[c] = Σ_o dy[o],  sumDyX[c] = Σ_o dy[o]·(x[at[o]] − mean[c])      (over the windows with at ≥ 0)
/// InputGradient:  dx = (x − mean[c])·p[c] + q[c] everywhere, plus dy[o]·k[c] at x[at[o]]
/// </code>
/// Those are BatchNorm's backward sums and input gradient (<see cref="BatchNormKernel"/>) with the pool's and the
/// ReLU's routing folded in: the gradient with respect to the normalised values is dy at each window's winner and
/// 0 elsewhere. Channels are split across the threads (each channel summed by one thread in a fixed order).
/// </summary>
internal static class BatchNormReluPool
{
    private const int MinParallelValues = 1 << 15;

    private static int Parts(ComputeContext ctx, int n, in ConvGeometry g) =>
        (long)n * g.InSize < MinParallelValues ? 1 : BatchSplit.Parts(ctx.Threads, g.Channels);

    /// <summary>y [N, C, OH, OW] and at (see the class summary).</summary>
    public static void Forward(ComputeContext ctx, float[] x, float[] y, int[] at, int n, in ConvGeometry g, float[] scale, float[] shift)
    {
        var job = new ForwardJob(x, y, at, n, g, scale, shift, Parts(ctx, n, g));
        ctx.For(job.Parts, ref job);
    }

    /// <summary>sumDy[c] and sumDyX[c] over the windows whose gradient passes (at ≥ 0).</summary>
    public static void Sums(ComputeContext ctx, float[] x, float[] dy, int[] at, int n, in ConvGeometry g, float[] mean, double[] sumDy, double[] sumDyX)
    {
        var job = new SumsJob(x, dy, at, n, g, mean, sumDy, sumDyX, Parts(ctx, n, g));
        ctx.For(job.Parts, ref job);
    }

    /// <summary>dx [N, C, H, W] = (x − mean)·p + q, plus dy·k at each passing window's winner.</summary>
    public static void InputGradient(ComputeContext ctx, float[] x, float[] dy, int[] at, float[] dx, int n, in ConvGeometry g,
        float[] mean, float[] k, float[] p, float[] q)
    {
        var job = new InputGradientJob(x, dy, at, dx, n, g, mean, k, p, q, Parts(ctx, n, g));
        ctx.For(job.Parts, ref job);
    }

    private readonly unsafe struct ForwardJob(float[] x, float[] y, int[] at, int n, ConvGeometry g, float[] scale, float[] shift, int parts)
        : IParallelJob
    {
        public readonly int Parts = parts;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(g.Channels, part, Parts);
            int channels = g.Channels, inPlane = g.InH * g.InW, outPlane = g.OutPlane;
            fixed (float* px = x)
            fixed (float* py = y)
            fixed (int* pa = at)
                for (int c = start; c < end; c++)
                    for (int i = 0; i < n; i++)
                    {
                        long plane = (long)i * channels + c;
                        Plane(px + plane * inPlane, py + plane * outPlane, pa + plane * outPlane, g, scale[c], shift[c]);
                    }
        }
    }

    /// <summary>Whether the AVX-512 row passes apply: 8 windows in a row (they read 16 contiguous values of each row).</summary>
    private static bool RowPasses(in ConvGeometry g) => Avx512F.IsSupported && g.OutW >= 8;

    /// <summary>
    /// Whether the fused step pays for an input W wide: only on the AVX-512 row passes (8 windows a row). Elsewhere
    /// the BatchNorm applies its ReLU (<see cref="BatchNormRelu"/>) and the pool pools on its own.
    /// </summary>
    public static bool Pays(int inW) => Avx512F.IsSupported && inW / 2 >= 8;

    /// <summary>One plane: with AVX-512, 8 windows of a row pair at a time (<see cref="PlaneRows"/>); else one at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Plane(float* x, float* y, int* at, in ConvGeometry g, float a, float b)
    {
        if (RowPasses(g))
        {
            PlaneRows(x, y, at, g, a, b);
            return;
        }
        int inW = g.InW, outW = g.OutW;
        for (int oh = 0; oh < g.OutH; oh++)
            for (int ow = 0; ow < outW; ow++)
            {
                int c0 = 2 * oh * inW + 2 * ow, o = oh * outW + ow;
                float best = MathF.FusedMultiplyAdd(x[c0], a, b);
                int win = c0;
                Take(x, a, b, ref best, ref win, c0 + 1);
                Take(x, a, b, ref best, ref win, c0 + inW);
                Take(x, a, b, ref best, ref win, c0 + inW + 1);
                bool positive = best > 0;
                y[o] = positive || float.IsNaN(best) ? best : 0;
                at[o] = positive ? win : -1;
            }
    }

    /// <summary>Lanes 0–7: the even lanes of a vector, 8–15: the odd ones.</summary>
    private static readonly Vector512<int> EvenOdd = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    /// <summary>Each of lanes 0–7 twice: window j of 8 for the columns 2j and 2j + 1.</summary>
    private static readonly Vector512<int> Twice = Vector512.Create(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    private static readonly Vector256<int> EvenColumns = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
    private static readonly Vector512<int> Columns = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

    /// <summary>
    /// The row passes of <see cref="Plane"/>: windows [w0/2, w0/2 + 8) of each row pair, w0 = 0, 16, … and the last
    /// block moved back to end at the last window (its overlap written twice with the same values).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PlaneRows(float* x, float* y, int* at, in ConvGeometry g, float a, float b)
    {
        int inW = g.InW, outW = g.OutW, last = 2 * outW - 16;
        Vector512<float> va = Vector512.Create(a), vb = Vector512.Create(b);
        var none = Vector256.Create(-1);
        for (int oh = 0; oh < g.OutH; oh++)
        {
            float* r0 = x + 2 * oh * inW;
            for (int w0 = 0; ; w0 += 16)
            {
                if (w0 > last) w0 = last;
                var z0 = Avx512F.PermuteVar16x32(Vector512.FusedMultiplyAdd(Vector512.Load(r0 + w0), va, vb), EvenOdd);
                var z1 = Avx512F.PermuteVar16x32(Vector512.FusedMultiplyAdd(Vector512.Load(r0 + inW + w0), va, vb), EvenOdd);
                var corner = EvenColumns + Vector256.Create(2 * oh * inW + w0);
                var best = z0.GetLower();
                var win = corner;
                Take(ref best, ref win, z0.GetUpper(), corner + Vector256.Create(1));
                Take(ref best, ref win, z1.GetLower(), corner + Vector256.Create(inW));
                Take(ref best, ref win, z1.GetUpper(), corner + Vector256.Create(inW + 1));
                var positive = Vector256.GreaterThan(best, Vector256<float>.Zero);
                int o = oh * outW + w0 / 2;
                Vector256.ConditionalSelect(positive | ~Vector256.Equals(best, best), best, Vector256<float>.Zero).Store(y + o);
                Vector256.ConditionalSelect(positive.AsInt32(), win, none).Store(at + o);
                if (w0 == last) break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(ref Vector256<float> best, ref Vector256<int> win, Vector256<float> v, Vector256<int> index)
    {
        var take = Vector256.GreaterThan(v, best) | (~Vector256.Equals(v, v) & Vector256.Equals(best, best));
        best = Vector256.ConditionalSelect(take, v, best);
        win = Vector256.ConditionalSelect(take.AsInt32(), index, win);
    }

    /// <summary>Candidates in row-major order: a later one wins only if strictly greater (or the first NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Take(float* x, float a, float b, ref float best, ref int win, int index)
    {
        float v = MathF.FusedMultiplyAdd(x[index], a, b);
        if (v > best || (float.IsNaN(v) && !float.IsNaN(best))) { best = v; win = index; }
    }

    private readonly unsafe struct SumsJob(float[] x, float[] dy, int[] at, int n, ConvGeometry g, float[] mean, double[] sumDy, double[] sumDyX, int parts)
        : IParallelJob
    {
        public readonly int Parts = parts;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(g.Channels, part, Parts);
            int channels = g.Channels, inPlane = g.InH * g.InW, outPlane = g.OutPlane;
            fixed (float* px = x)
            fixed (float* pd = dy)
            fixed (int* pa = at)
                for (int c = start; c < end; c++)
                {
                    double sa = 0, sb = 0;
                    for (int i = 0; i < n; i++)
                    {
                        long plane = (long)i * channels + c;
                        var (da, db) = PlaneSums(px + plane * inPlane, pd + plane * outPlane, pa + plane * outPlane, outPlane, mean[c]);
                        sa += da; sb += db;
                    }
                    sumDy[c] = sa; sumDyX[c] = sb;
                }
        }
    }

    /// <summary>(Σ dy, Σ dy·(x[at] − mean)) over one plane's windows with at ≥ 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe (double, double) PlaneSums(float* x, float* dy, int* at, int outPlane, float mean)
    {
        int o = 0;
        double sa = 0, sb = 0;
        if (Avx2.IsSupported && Fma.IsSupported && outPlane >= 8)
        {
            var m = Vector256.Create(mean);
            Vector256<float> a0 = default, b0 = default;
            for (; o + 8 <= outPlane; o += 8)
            {
                var win = Vector256.Load(at + o);
                var pass = Vector256.GreaterThanOrEqual(win, Vector256<int>.Zero).AsSingle();
                var d = Vector256.ConditionalSelect(pass, Vector256.Load(dy + o), Vector256<float>.Zero);
                // Windows that pass nothing gather nothing (their lanes keep 0).
                var xv = Avx2.GatherMaskVector256(Vector256<float>.Zero, x, win, pass, 4);
                a0 += d;
                b0 = Fma.MultiplyAdd(d, xv - m, b0);
            }
            sa = Vector256.Sum(a0); sb = Vector256.Sum(b0);
        }
        for (; o < outPlane; o++)
        {
            int w = at[o];
            if (w < 0) continue;
            sa += dy[o]; sb += dy[o] * ((double)x[w] - mean);
        }
        return (sa, sb);
    }

    private readonly unsafe struct InputGradientJob(float[] x, float[] dy, int[] at, float[] dx, int n, ConvGeometry g,
        float[] mean, float[] k, float[] p, float[] q, int parts) : IParallelJob
    {
        public readonly int Parts = parts;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int part, ComputeContext lane)
        {
            var (start, end) = BatchSplit.Range(g.Channels, part, Parts);
            int channels = g.Channels, inPlane = g.InH * g.InW, outPlane = g.OutPlane;
            fixed (float* px = x)
            fixed (float* pd = dy)
            fixed (int* pa = at)
            fixed (float* po = dx)
                for (int c = start; c < end; c++)
                    for (int i = 0; i < n; i++)
                    {
                        long plane = (long)i * channels + c;
                        // (x − mean)·p + q = x·p + (q − mean·p), as BatchNormKernel.Combine computes it.
                        float pc = p[c], cc = q[c] - mean[c] * p[c], kc = k[c];
                        float* xp = px + plane * inPlane, dxp = po + plane * inPlane, dyp = pd + plane * outPlane;
                        int* ap = pa + plane * outPlane;
                        if (RowPasses(g)) GradientRows(xp, dyp, ap, dxp, g, kc, pc, cc);
                        else GradientScatter(xp, dyp, ap, dxp, inPlane, outPlane, kc, pc, cc);
                    }
        }
    }

    /// <summary>
    /// One plane's dx row by row: 16 columns at a time, each window's (dy, at) read once and spread over its two
    /// columns, dy·k added where the column is the window's winner. Rows and columns no window covers (odd sizes)
    /// get the BatchNorm part alone.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void GradientRows(float* x, float* dy, int* at, float* dx, in ConvGeometry g, float k, float p, float c)
    {
        int inW = g.InW, outW = g.OutW, last = 2 * outW - 16;
        Vector512<float> vk = Vector512.Create(k), vp = Vector512.Create(p), vc = Vector512.Create(c);
        for (int h = 0; h < 2 * g.OutH; h++)
        {
            float* xr = x + h * inW, dr = dx + h * inW;
            int oRow = (h >> 1) * outW;
            for (int w0 = 0; ; w0 += 16)
            {
                if (w0 > last) w0 = last;
                int o = oRow + w0 / 2;
                var a16 = Avx512F.PermuteVar16x32(Vector512.Create(Vector256.Load(at + o), Vector256<int>.Zero), Twice);
                var d16 = Avx512F.PermuteVar16x32(Vector512.Create(Vector256.Load(dy + o), Vector256<float>.Zero), Twice);
                var basePart = Vector512.FusedMultiplyAdd(Vector512.Load(xr + w0), vp, vc);
                var winner = Vector512.Equals(a16, Columns + Vector512.Create(h * inW + w0)).AsSingle();
                Vector512.ConditionalSelect(winner, Vector512.FusedMultiplyAdd(d16, vk, basePart), basePart).Store(dr + w0);
                if (w0 == last) break;
            }
            for (int w = 2 * outW; w < inW; w++) dr[w] = MathF.FusedMultiplyAdd(xr[w], p, c);
        }
        for (int h = 2 * g.OutH; h < g.InH; h++)
            BatchNormKernel.MultiplyAdd(new ReadOnlySpan<float>(x + h * inW, inW), p, c, new Span<float>(dx + h * inW, inW));
    }

    /// <summary>One plane's dx: the BatchNorm part everywhere, then each window's dy·k at its winner (branch-free: a window that passes nothing adds 0 at index 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void GradientScatter(float* x, float* dy, int* at, float* dx, int inPlane, int outPlane, float k, float p, float c)
    {
        BatchNormKernel.MultiplyAdd(new ReadOnlySpan<float>(x, inPlane), p, c, new Span<float>(dx, inPlane));
        for (int o = 0; o < outPlane; o++)
        {
            int w = at[o], none = w >> 31;
            float d = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(dy[o]) & ~none);
            int i = w & ~none;
            dx[i] = MathF.FusedMultiplyAdd(d, k, dx[i]);
        }
    }
}
