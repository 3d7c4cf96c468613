using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>What a BatchNorm step applies after normalising (<see cref="BatchNormTensors"/>).</summary>
internal enum BatchNormActivation
{
    /// <summary>y = z.</summary>
    None,
    /// <summary>y = max(z, 0) (<see cref="BatchNormRelu"/>).</summary>
    Relu,
    /// <summary>y = 2×2 max pool (stride 2, no padding) of max(z, 0) (<see cref="BatchNormReluPool"/>).</summary>
    ReluPool,
}

/// <summary>
/// The tensors of one BatchNorm step over x [N, C, S] (S = H·W; 1 for features): the output y ([N, C, S], or
/// [N, C, OH, OW] pooled), with a pool its geometry and the windows' winners, and in the backward pass dy (shaped
/// as y) and dx (shaped as x; null when no input gradient is needed).
/// </summary>
internal readonly struct BatchNormTensors
{
    public float[] X { get; init; }
    public int N { get; init; }
    public int Channels { get; init; }
    public int S { get; init; }
    public BatchNormActivation Activation { get; init; }
    public float[]? Y { get; init; }
    /// <summary>The pool's geometry (InH·InW = S).</summary>
    public ConvGeometry Pool { get; init; }
    /// <summary>Per window: the plane index h·W + w of its winner, or −1 where no gradient passes (see <see cref="BatchNormReluPool"/>).</summary>
    public float[]? Winner { get; init; }
    /// <summary>Per window: x at its winner (0 where no gradient passes).</summary>
    public float[]? WinnerX { get; init; }
    public float[]? Dy { get; init; }
    public float[]? Dx { get; init; }
    /// <summary>The vector width the passes run at: null for the machine's (<see cref="GemmMicroKernel.Selected"/>); tests run each.</summary>
    public GemmMicroKernel.Kind? Width { get; init; }

    /// <summary>The width the passes run at.</summary>
    public GemmMicroKernel.Kind RunWidth => Width ?? GemmMicroKernel.Selected;
}

/// <summary>
/// Batch normalisation over x laid out [N, C, S], each channel c over its M = N·S values, written once over the
/// vector width (<see cref="ISimdWidth{V}"/>) with z = x·scale[c] + shift[c] (one <c>S.Fma</c>, its scalar tail rounded alike):
/// <code>
/// Statistics: K = mean of plane (0, c) (a shift near the mean, so that the one pass does not cancel),
///             mean[c] = K + Σ(x − K) / M,  var[c] = Σ(x − K)² / M − (Σ(x − K) / M)²   (biased, as PyTorch normalises)
/// Forward:    y = act(z)    (act: none, ReLU, or ReLU and a 2×2 max pool: <see cref="BatchNormActivation"/>)
/// Sums:       g = dy through act;  sumDy[c] = Σ g,  sumDyX[c] = Σ g·(x − mean[c])
/// Gradient:   dx = g·k[c] + (x − mean[c])·p[c] + q[c]       (scale, shift, k, p, q: <see cref="BatchNormChannels"/>)
/// </code>
/// Every pass streams the planes (n, c) in memory order, split into contiguous plane ranges across the threads. A
/// channel's planes are 4·C·S bytes apart: walked channel by channel, a power-of-two stride puts them all in the
/// same few cache sets (with C·S = 32·1024 each plane evicts the one before), and the prefetchers restart at every
/// plane. The sums are made per plane (two vector accumulators each, so that the adds do not wait on each other,
/// reduced several planes at a time by <see cref="PlaneSums"/>), kept in the workspace (<see cref="Scratch.BatchNormSums"/>)
/// and added up per channel in double in sample order: the same numbers for any thread count. Features (S = 1) run along the channels instead (<see cref="BatchNormFeatures"/>).
/// </summary>
internal static unsafe class BatchNormKernel
{
    // Below this many values the whole pass runs on the caller: a thread hand-off costs more.
    private const int MinParallelValues = 1 << 15;

    /// <summary>
    /// y = act(x·scale + shift). In training first each channel's statistics (<see cref="BatchNormChannels.Mean"/>,
    /// <see cref="BatchNormChannels.Variance"/>, then <see cref="BatchNormChannels.SetAffine"/>); otherwise the
    /// channels' scale and shift are already set. <paramref name="planeSums"/>: the statistics' per-plane sums with
    /// their shifts in <see cref="BatchNormChannels.Pivot"/>, already made by the convolution before
    /// (<see cref="ConvBatchNorm"/>), laid out as the statistics pass leaves them; then that pass is skipped.
    /// </summary>
    public static void Forward(ComputeContext ctx, in BatchNormTensors t, BatchNormChannels ch, bool training, float[] gamma, float[] beta, double eps,
        double[]? planeSums = null)
    {
        bool features = t.S == 1;
        if (training)
        {
            var sums = planeSums ?? ctx.Workspace.Doubles(Scratch.BatchNormSums, 2 * t.N * t.Channels);
            if (planeSums is not null && features) throw new ArgumentException("Per-plane sums are given only for planes (S > 1).", nameof(planeSums));
            if (planeSums is null)
            {
                Pivots(t, ch);
                if (features) Run<BatchNormFeatures.StatisticsPass>(ctx, t, ch, sums);
                else Run<StatisticsPass>(ctx, t, ch, sums);
            }
            double m = (double)t.N * t.S;
            ChannelSums(sums, features ? 1 : t.N, t.Channels, ch.Mean, ch.Variance);
            for (int c = 0; c < t.Channels; c++)
            {
                double sum = ch.Mean[c], sq = ch.Variance[c], d = sum / m;
                ch.Mean[c] = ch.Pivot[c] + d;
                ch.Variance[c] = Math.Max(sq / m - d * d, 0);
                ch.SetAffine(c, (float)ch.Mean[c], ch.Variance[c], eps, gamma[c], beta[c]);
            }
        }
        if (features) Run<BatchNormFeatures.ForwardPass>(ctx, t, ch, null);
        else Run<ForwardPass>(ctx, t, ch, null);
    }

    /// <summary>
    /// The sums and, through <see cref="BatchNormChannels.SetGradient"/>, dγ and dβ; then dx when
    /// <see cref="BatchNormTensors.Dx"/> is set. <paramref name="trained"/>: the forward pass used the batch's statistics.
    /// </summary>
    public static void Backward(ComputeContext ctx, in BatchNormTensors t, BatchNormChannels ch, bool trained, float[] gamma, float[] gammaGrad, float[] betaGrad)
    {
        bool features = t.S == 1;
        var sums = ctx.Workspace.Doubles(Scratch.BatchNormSums, 2 * t.N * t.Channels);
        if (features) Run<BatchNormFeatures.SumsPass>(ctx, t, ch, sums);
        else Run<SumsPass>(ctx, t, ch, sums);
        double m = (double)t.N * t.S;
        ChannelSums(sums, features ? 1 : t.N, t.Channels, ch.SumDy, ch.SumDyX);
        for (int c = 0; c < t.Channels; c++) ch.SetGradient(c, m, trained, gamma[c], gammaGrad, betaGrad);
        if (t.Dx is null) return;
        if (features) Run<BatchNormFeatures.GradientPass>(ctx, t, ch, null);
        else Run<GradientPass>(ctx, t, ch, null);
    }

    /// <summary>
    /// Each channel's two sums over its <paramref name="n"/> planes, in sample order, to <paramref name="first"/>[c]
    /// and <paramref name="second"/>[c]: the planes' first sums at [i·C + c], their second ones n·C further on. Read
    /// sample by sample, in memory order (channel by channel, the reads were C·8 bytes apart).
    /// </summary>
    private static void ChannelSums(double[] sums, int n, int channels, double[] first, double[] second)
    {
        var a = first.AsSpan(0, channels);
        var b = second.AsSpan(0, channels);
        a.Clear(); b.Clear();
        for (int i = 0; i < n; i++)
        {
            var sa = sums.AsSpan(i * channels, channels);
            var sb = sums.AsSpan((n + i) * channels, channels);
            for (int c = 0; c < a.Length; c++) { a[c] += sa[c]; b[c] += sb[c]; }
        }
    }

    /// <summary>Each channel's shift K: the mean of its plane in the first sample.</summary>
    private static void Pivots(in BatchNormTensors t, BatchNormChannels ch)
    {
        fixed (float* px = t.X)
            for (int c = 0; c < t.Channels; c++)
            {
                float* x = px + (long)c * t.S;
                double sum = t.RunWidth switch
                {
                    GemmMicroKernel.Kind.Vector512 => Sum<Simd512, Vector512<float>>(x, t.S),
                    GemmMicroKernel.Kind.Vector256 => Sum<Simd256, Vector256<float>>(x, t.S),
                    _ => Sum<Simd128, Vector128<float>>(x, t.S),
                };
                ch.Pivot[c] = (float)(sum / t.S);
            }
    }

    /// <summary>
    /// One pass over items [from, to): planes (n·C + c) in memory order, or for features channels. A summing pass
    /// leaves each item's two sums at <c>Sums[item]</c> and <c>Sums[Items + item]</c>.
    /// </summary>
    internal interface IPass
    {
        static abstract int Items(in BatchNormTensors t);
        static abstract void Run<S, V>(in Pinned p, BatchNormChannels ch, int from, int to)
            where S : struct, ISimdWidth<V> where V : struct;
    }

    /// <summary>The tensors' arrays pinned for one part of a pass, and their sizes.</summary>
    internal readonly struct Pinned(in BatchNormTensors t, int items, float* x, float* y, float* dy, float* dx, float* winner, float* winnerX, double* sums)
    {
        public readonly float* X = x, Y = y, Dy = dy, Dx = dx, Winner = winner, WinnerX = winnerX;
        public readonly double* Sums = sums;
        public readonly int N = t.N, Channels = t.Channels, S = t.S, Items = items;
        public readonly BatchNormActivation Activation = t.Activation;
        public readonly ConvGeometry Pool = t.Pool;
        /// <summary>Values of an output (and output gradient) plane: pooled, or S.</summary>
        public readonly int OutPlane = t.Activation == BatchNormActivation.ReluPool ? t.Pool.OutPlane : t.S;

        /// <summary>The channel after c, in memory order.</summary>
        public int Next(int c) => c + 1 == Channels ? 0 : c + 1;
    }

    /// <summary>Pass P over the items, split into contiguous ranges across the threads (on the caller below <see cref="MinParallelValues"/>).</summary>
    private static void Run<P>(ComputeContext ctx, in BatchNormTensors t, BatchNormChannels ch, double[]? sums) where P : struct, IPass
    {
        int items = P.Items(t);
        var job = new Job<P>(t, ch, sums, (long)t.N * t.Channels * t.S < MinParallelValues ? 1 : BatchSplit.Parts(ctx.Threads, items));
        ctx.For(job.Parts, ref job);
    }

    private readonly struct Job<P>(BatchNormTensors t, BatchNormChannels ch, double[]? sums, int parts) : IParallelJob where P : struct, IPass
    {
        public readonly int Parts = parts;
        private readonly GemmMicroKernel.Kind _width = t.RunWidth;

        public void Run(int part, ComputeContext lane)
        {
            int items = P.Items(t);
            var (from, to) = BatchSplit.Range(items, part, Parts);
            fixed (float* x = t.X)
            fixed (float* y = t.Y)
            fixed (float* dy = t.Dy)
            fixed (float* dx = t.Dx)
            fixed (float* winner = t.Winner)
            fixed (float* winnerX = t.WinnerX)
            fixed (double* s = sums)
            {
                var p = new Pinned(t, items, x, y, dy, dx, winner, winnerX, s);
                switch (_width)
                {
                    case GemmMicroKernel.Kind.Vector512: P.Run<Simd512, Vector512<float>>(p, ch, from, to); break;
                    case GemmMicroKernel.Kind.Vector256: P.Run<Simd256, Vector256<float>>(p, ch, from, to); break;
                    // Without vectors too: Simd128's loops are skipped (S.IsSupported), its scalar tails do all.
                    default: P.Run<Simd128, Vector128<float>>(p, ch, from, to); break;
                }
            }
        }
    }

    /// <summary>
    /// The statistics pass's sums of planes [from, to) of <paramref name="p"/> (with <see cref="Pinned.X"/> and
    /// <see cref="Pinned.Sums"/>), shifted by <see cref="BatchNormChannels.Pivot"/>: what a convolution that has just
    /// written those planes makes for the BatchNorm after it (<see cref="ConvBatchNorm"/>), the same numbers.
    /// </summary>
    internal static void StatisticsPlanes<S, V>(in Pinned p, BatchNormChannels ch, int from, int to) where S : struct, ISimdWidth<V> where V : struct =>
        StatisticsPass.Run<S, V>(p, ch, from, to);

    /// <summary>Each plane's (Σ(x − K), Σ(x − K)²).</summary>
    private readonly struct StatisticsPass : IPass, IPlaneSums
    {
        public static int Items(in BatchNormTensors t) => t.N * t.Channels;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run<S, V>(in Pinned p, BatchNormChannels ch, int from, int to) where S : struct, ISimdWidth<V> where V : struct =>
            PlaneSums.Run<S, V, StatisticsPass>(p, ch, from, to);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Plane<S, V>(in Pinned p, BatchNormChannels ch, int plane, int c, out V a, out V b, out double tailA, out double tailB)
            where S : struct, ISimdWidth<V> where V : struct =>
            ShiftedSums<S, V>(p.X + (long)plane * p.S, p.S, ch.Pivot[c], out a, out b, out tailA, out tailB);
    }

    /// <summary>y = act(z), plane by plane.</summary>
    private readonly struct ForwardPass : IPass
    {
        public static int Items(in BatchNormTensors t) => t.N * t.Channels;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run<S, V>(in Pinned p, BatchNormChannels ch, int from, int to) where S : struct, ISimdWidth<V> where V : struct
        {
            float[] scale = ch.Scale, shift = ch.Shift;
            for (int plane = from, c = from % p.Channels; plane < to; plane++, c = p.Next(c))
            {
                float* x = p.X + (long)plane * p.S;
                long o = (long)plane * p.OutPlane;
                if (p.Activation == BatchNormActivation.None) MultiplyAdd<S, V>(x, p.S, scale[c], shift[c], p.Y + o);
                else if (p.Activation == BatchNormActivation.Relu) BatchNormRelu.Forward<S, V>(x, p.S, scale[c], shift[c], p.Y + o);
                else BatchNormReluPool.Forward<S, V>(x, p.Pool, scale[c], shift[c], p.Y + o, p.Winner + o, p.WinnerX + o);
            }
        }
    }

    /// <summary>Each plane's (Σ g, Σ g·(x − mean)).</summary>
    private readonly struct SumsPass : IPass, IPlaneSums
    {
        public static int Items(in BatchNormTensors t) => t.N * t.Channels;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run<S, V>(in Pinned p, BatchNormChannels ch, int from, int to) where S : struct, ISimdWidth<V> where V : struct =>
            PlaneSums.Run<S, V, SumsPass>(p, ch, from, to);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Plane<S, V>(in Pinned p, BatchNormChannels ch, int plane, int c, out V a, out V b, out double tailA, out double tailB)
            where S : struct, ISimdWidth<V> where V : struct
        {
            float* x = p.X + (long)plane * p.S;
            long o = (long)plane * p.OutPlane;
            if (p.Activation == BatchNormActivation.None) GradientSums<S, V>(x, p.Dy + o, p.S, ch.MeanF[c], out a, out b, out tailA, out tailB);
            else if (p.Activation == BatchNormActivation.Relu)
                BatchNormRelu.Sums<S, V>(x, p.Dy + o, p.S, ch.Scale[c], ch.Shift[c], ch.MeanF[c], out a, out b, out tailA, out tailB);
            else BatchNormReluPool.Sums<S, V>(p.Dy + o, p.Winner + o, p.WinnerX + o, p.OutPlane, ch.MeanF[c], out a, out b, out tailA, out tailB);
        }
    }

    /// <summary>dx = g·k + x·p + (q − mean·p), plane by plane.</summary>
    private readonly struct GradientPass : IPass
    {
        public static int Items(in BatchNormTensors t) => t.N * t.Channels;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run<S, V>(in Pinned p, BatchNormChannels ch, int from, int to) where S : struct, ISimdWidth<V> where V : struct
        {
            for (int plane = from, c = from % p.Channels; plane < to; plane++, c = p.Next(c))
                GradientPlane<S, V>(p, ch, plane, c, p.Dx + (long)plane * p.S);
        }
    }

    /// <summary>
    /// dx of one plane (channel c) into <paramref name="dx"/>: the gradient pass's work for that plane, also done by a
    /// convolution's weight gradient on a buffer of one plane (<see cref="ConvBatchNorm"/>), with the same numbers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void GradientPlane<S, V>(in Pinned p, BatchNormChannels ch, int plane, int c, float* dx) where S : struct, ISimdWidth<V> where V : struct
    {
        float* x = p.X + (long)plane * p.S;
        long o = (long)plane * p.OutPlane;
        // (x − mean)·p + q = x·p + (q − mean·p): one FMA fewer per value.
        float k = ch.K[c], pc = ch.P[c], q = ch.Q[c] - ch.MeanF[c] * ch.P[c];
        if (p.Activation == BatchNormActivation.None) Combine<S, V>(p.Dy + o, x, p.S, k, pc, q, dx);
        else if (p.Activation == BatchNormActivation.Relu) BatchNormRelu.Gradient<S, V>(p.Dy + o, x, p.S, ch.Scale[c], ch.Shift[c], k, pc, q, dx);
        else BatchNormReluPool.Gradient<S, V>(x, p.Dy + o, p.Winner + o, dx, p.Pool, k, pc, q);
    }

    /// <summary>Σ x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Sum<S, V>(float* x, int len) where S : struct, ISimdWidth<V> where V : struct
    {
        int l = S.Lanes, j = 0;
        double total = 0;
        if (S.IsSupported && len >= l)
        {
            V a0 = S.Zero, a1 = S.Zero;
            for (; j + 2 * l <= len; j += 2 * l) { a0 = S.Add(a0, S.Load(x + j)); a1 = S.Add(a1, S.Load(x + j + l)); }
            for (; j + l <= len; j += l) a0 = S.Add(a0, S.Load(x + j));
            total = S.Sum(S.Add(a0, a1));
        }
        for (; j < len; j++) total += x[j];
        return total;
    }

    /// <summary>(Σ (x − K), Σ (x − K)²) for a shift K: vector accumulators and the tail's sums (<see cref="IPlaneSums"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ShiftedSums<S, V>(float* x, int len, float shift, out V sum, out V squares, out double tailSum, out double tailSquares)
        where S : struct, ISimdWidth<V> where V : struct
    {
        int l = S.Lanes, j = 0;
        V s0 = S.Zero, s1 = S.Zero, q0 = S.Zero, q1 = S.Zero;
        if (S.IsSupported)
        {
            var k = S.Broadcast(shift);
            for (; j + 2 * l <= len; j += 2 * l)
            {
                var d0 = S.Sub(S.Load(x + j), k);
                var d1 = S.Sub(S.Load(x + j + l), k);
                s0 = S.Add(s0, d0); s1 = S.Add(s1, d1);
                q0 = S.Fma(d0, d0, q0); q1 = S.Fma(d1, d1, q1);
            }
            for (; j + l <= len; j += l) { var d = S.Sub(S.Load(x + j), k); s0 = S.Add(s0, d); q0 = S.Fma(d, d, q0); }
        }
        double ts = 0, tq = 0;
        for (; j < len; j++) { double d = x[j] - shift; ts += d; tq += d * d; }
        // Without vectors the accumulators are unused (PlaneSums takes the tails alone).
        sum = S.IsSupported ? S.Add(s0, s1) : S.Zero; squares = S.IsSupported ? S.Add(q0, q1) : S.Zero;
        (tailSum, tailSquares) = (ts, tq);
    }

    /// <summary>y = x·a + b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void MultiplyAdd<S, V>(float* x, int len, float a, float b, float* y) where S : struct, ISimdWidth<V> where V : struct
    {
        int l = S.Lanes, j = 0;
        if (S.IsSupported)
        {
            V va = S.Broadcast(a), vb = S.Broadcast(b);
            for (; j + l <= len; j += l) S.Store(y + j, S.Fma(S.Load(x + j), va, vb));
        }
        for (; j < len; j++) y[j] = S.Fma(x[j], a, b);
    }

    /// <summary>(Σ dy, Σ dy·(x − mean)): vector accumulators and the tail's sums (<see cref="IPlaneSums"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientSums<S, V>(float* x, float* dy, int len, float mean, out V sumDy, out V sumDyX, out double tailDy, out double tailDyX)
        where S : struct, ISimdWidth<V> where V : struct
    {
        int l = S.Lanes, j = 0;
        double sa = 0, sb = 0;
        V a0 = S.Zero, a1 = S.Zero, b0 = S.Zero, b1 = S.Zero;
        if (S.IsSupported)
        {
            var m = S.Broadcast(mean);
            for (; j + 2 * l <= len; j += 2 * l)
            {
                var d0 = S.Load(dy + j);
                var d1 = S.Load(dy + j + l);
                a0 = S.Add(a0, d0); a1 = S.Add(a1, d1);
                b0 = S.Fma(d0, S.Sub(S.Load(x + j), m), b0);
                b1 = S.Fma(d1, S.Sub(S.Load(x + j + l), m), b1);
            }
            for (; j + l <= len; j += l)
            {
                var d = S.Load(dy + j);
                a0 = S.Add(a0, d); b0 = S.Fma(d, S.Sub(S.Load(x + j), m), b0);
            }
        }
        for (; j < len; j++) { sa += dy[j]; sb += dy[j] * ((double)x[j] - mean); }
        // Without vectors the accumulators are unused (PlaneSums takes the tails alone).
        sumDy = S.IsSupported ? S.Add(a0, a1) : S.Zero; sumDyX = S.IsSupported ? S.Add(b0, b1) : S.Zero;
        (tailDy, tailDyX) = (sa, sb);
    }

    /// <summary>dx = dy·k + x·p + c (c = q − mean·p).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Combine<S, V>(float* dy, float* x, int len, float k, float p, float c, float* dx) where S : struct, ISimdWidth<V> where V : struct
    {
        int l = S.Lanes, j = 0;
        if (S.IsSupported)
        {
            V vk = S.Broadcast(k), vp = S.Broadcast(p), vc = S.Broadcast(c);
            for (; j + l <= len; j += l) S.Store(dx + j, S.Fma(S.Load(dy + j), vk, S.Fma(S.Load(x + j), vp, vc)));
        }
        for (; j < len; j++) dx[j] = S.Fma(dy[j], k, S.Fma(x[j], p, c));
    }
}
