using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// One plane of batch normalisation, ReLU and a 2×2 max pool (stride 2, no padding) as one step
/// (<see cref="BatchNormActivation.ReluPool"/>), so that the normalised and rectified plane is never written. With
/// z = x·a + b (one <c>S.Fma</c>) and o a window:
/// <code>
/// Forward:   y[o] = relu(max of z over window o),  winner[o] = the plane index of the window's first maximum
///            (NaN wins, as in <see cref="MaxPool2x2"/>), or −1 where the maximum is not positive (no gradient
///            passes);  winnerX[o] = x there (0 where none)
/// Sums:      (Σ dy[o],  Σ dy[o]·(winnerX[o] − mean))      over the windows with winner ≥ 0
/// Gradient:  dx = x·p + c everywhere, plus dy[o]·k at winner[o]  (as dx = g·k + x·p + c with g the routed dy)
/// </code>
/// Those are BatchNorm's sums and input gradient with the pool's and the ReLU's routing folded in. The forward
/// pass keeps each winner's x, so the sums read only pooled planes, in order (no gathers). Rows are done L windows
/// at a time as <see cref="MaxPool2x2"/> does (the widest width with L ≤ OW), the gradient spreading each window's
/// dy over its two columns with <c>ZipLow</c>/<c>ZipHigh</c>. Winners are plane indices held as floats: exact below
/// 2²⁴ values a plane (<see cref="Fits"/>).
/// </summary>
internal static unsafe class BatchNormReluPool
{
    /// <summary>Whether a pool of this geometry can take the normalisation: 2×2, stride 2, no padding, planes below 2²⁴ values.</summary>
    public static bool Fits(in ConvGeometry g) => MaxPool2x2.Applies(g) && (long)g.InH * g.InW < 1 << 24;

    /// <summary>y, winner, winnerX of one plane (see the class summary).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Forward<S, V>(float* x, in ConvGeometry g, float a, float b, float* y, float* winner, float* winnerX)
        where S : struct, ISimdWidth<V> where V : struct
    {
        int outW = g.OutW;
        if (S.IsSupported && outW >= S.Lanes) Rows<S, V>(x, g, a, b, y, winner, winnerX);
        else if (S.Lanes > Simd256.Lanes && Simd256.IsSupported && outW >= Simd256.Lanes) Rows<Simd256, Vector256<float>>(x, g, a, b, y, winner, winnerX);
        else if (S.Lanes > Simd128.Lanes && Simd128.IsSupported && outW >= Simd128.Lanes) Rows<Simd128, Vector128<float>>(x, g, a, b, y, winner, winnerX);
        else Windows<S, V>(x, g, a, b, y, winner, winnerX);
    }

    /// <summary>
    /// L windows of a row pair at a time: two loads of each row split into even and odd columns, so that the
    /// window's candidates a b / c d are four vectors, the winner found as in <see cref="MaxPool2x2"/>. The last
    /// block of a row moves back to end at the last window (its overlap written twice with the same values).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Rows<S, V>(float* x, in ConvGeometry g, float a, float b, float* y, float* winner, float* winnerX)
        where S : struct, ISimdWidth<V> where V : struct
    {
        int lanes = S.Lanes, inW = g.InW, outW = g.OutW;
        V va = S.Broadcast(a), vb = S.Broadcast(b);
        // Offsets of b, c, d from a, and the input column of each lane's a.
        V right = S.Broadcast(1), below = S.Broadcast(inW), belowRight = S.Broadcast(inW + 1);
        V columns = S.Add(S.Indices, S.Indices), none = S.Broadcast(-1);
        for (int oh = 0; oh < g.OutH; oh++)
        {
            float* r0 = x + 2 * oh * inW, r1 = r0 + inW;
            int o = oh * outW;
            for (int ow = 0; ow < outW; ow += lanes)
            {
                if (ow > outW - lanes) ow = outW - lanes;
                int w = 2 * ow;
                V l0 = S.Load(r0 + w), h0 = S.Load(r0 + w + lanes), l1 = S.Load(r1 + w), h1 = S.Load(r1 + w + lanes);
                V xa = S.Even(l0, h0), xb = S.Odd(l0, h0), xc = S.Even(l1, h1), xd = S.Odd(l1, h1);
                V za = S.Fma(xa, va, vb), zb = S.Fma(xb, va, vb), zc = S.Fma(xc, va, vb), zd = S.Fma(xd, va, vb);
                V takeB = MaxPool2x2.Wins<S, V>(zb, za), takeD = MaxPool2x2.Wins<S, V>(zd, zc);
                V top = S.Select(takeB, zb, za), bottom = S.Select(takeD, zd, zc);
                V topX = S.Select(takeB, xb, xa), bottomX = S.Select(takeD, xd, xc);
                V topAt = S.And(takeB, right), bottomAt = S.Select(takeD, belowRight, below);
                V takeBottom = MaxPool2x2.Wins<S, V>(bottom, top);
                V best = S.Select(takeBottom, bottom, top);
                V at = S.Add(S.Select(takeBottom, bottomAt, topAt), S.Add(S.Broadcast(2 * oh * inW + w), columns));
                // relu(max): a window whose maximum is not positive passes no gradient; NaN stays NaN.
                V positive = S.GreaterThan(best, S.Zero);
                S.Store(y + o + ow, S.Select(S.Or(positive, S.IsNaN(best)), best, S.Zero));
                S.Store(winner + o + ow, S.Select(positive, at, none));
                S.Store(winnerX + o + ow, S.And(positive, S.Select(takeBottom, bottomX, topX)));
            }
        }
    }

    /// <summary>One window at a time (rows narrower than a vector's windows, or no vectors).</summary>
    internal static void Windows<S, V>(float* x, in ConvGeometry g, float a, float b, float* y, float* winner, float* winnerX)
        where S : struct, ISimdWidth<V> where V : struct
    {
        int inW = g.InW, outW = g.OutW;
        for (int oh = 0; oh < g.OutH; oh++)
            for (int ow = 0; ow < outW; ow++)
            {
                int c0 = 2 * oh * inW + 2 * ow, o = oh * outW + ow;
                float best = S.Fma(x[c0], a, b);
                int win = c0;
                // Candidates in row-major order: a later one wins only if strictly greater (or the first NaN).
                Take<S, V>(x, a, b, ref best, ref win, c0 + 1);
                Take<S, V>(x, a, b, ref best, ref win, c0 + inW);
                Take<S, V>(x, a, b, ref best, ref win, c0 + inW + 1);
                bool positive = best > 0;
                y[o] = positive || float.IsNaN(best) ? best : 0;
                winner[o] = positive ? win : -1;
                winnerX[o] = positive ? x[win] : 0;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take<S, V>(float* x, float a, float b, ref float best, ref int win, int index) where S : struct, ISimdWidth<V> where V : struct
    {
        float v = S.Fma(x[index], a, b);
        if (v > best || (float.IsNaN(v) && !float.IsNaN(best))) { best = v; win = index; }
    }

    /// <summary>
    /// (Σ dy, Σ dy·(winnerX − mean)) over one pooled plane's windows with winner ≥ 0: vector accumulators and the
    /// tail's sums (<see cref="IPlaneSums"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sums<S, V>(float* dy, float* winner, float* winnerX, int len, float mean, out V sumDy, out V sumDyX, out double tailDy, out double tailDyX)
        where S : struct, ISimdWidth<V> where V : struct
    {
        int l = S.Lanes, j = 0;
        double sa = 0, sb = 0;
        V a0 = S.Zero, a1 = S.Zero, b0 = S.Zero, b1 = S.Zero;
        if (S.IsSupported)
        {
            V m = S.Broadcast(mean), none = S.Broadcast(-1);
            for (; j + 2 * l <= len; j += 2 * l)
            {
                V d0 = S.Select(S.GreaterThan(S.Load(winner + j), none), S.Load(dy + j), S.Zero);
                V d1 = S.Select(S.GreaterThan(S.Load(winner + j + l), none), S.Load(dy + j + l), S.Zero);
                a0 = S.Add(a0, d0); a1 = S.Add(a1, d1);
                b0 = S.Fma(d0, S.Sub(S.Load(winnerX + j), m), b0);
                b1 = S.Fma(d1, S.Sub(S.Load(winnerX + j + l), m), b1);
            }
            for (; j + l <= len; j += l)
            {
                V d0 = S.Select(S.GreaterThan(S.Load(winner + j), none), S.Load(dy + j), S.Zero);
                a0 = S.Add(a0, d0); b0 = S.Fma(d0, S.Sub(S.Load(winnerX + j), m), b0);
            }
        }
        for (; j < len; j++)
        {
            if (winner[j] < 0) continue;
            sa += dy[j]; sb += dy[j] * ((double)winnerX[j] - mean);
        }
        // Without vectors the accumulators are unused (PlaneSums takes the tails alone).
        sumDy = S.IsSupported ? S.Add(a0, a1) : S.Zero; sumDyX = S.IsSupported ? S.Add(b0, b1) : S.Zero;
        (tailDy, tailDyX) = (sa, sb);
    }

    /// <summary>One plane's dx = x·p + c, plus dy·k at each window's winner (the whole input plane, odd edges too).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Gradient<S, V>(float* x, float* dy, float* winner, float* dx, in ConvGeometry g, float k, float p, float c)
        where S : struct, ISimdWidth<V> where V : struct
    {
        int outW = g.OutW;
        if (S.IsSupported && outW >= S.Lanes) GradientRows<S, V>(x, dy, winner, dx, g, k, p, c);
        else if (S.Lanes > Simd256.Lanes && Simd256.IsSupported && outW >= Simd256.Lanes) GradientRows<Simd256, Vector256<float>>(x, dy, winner, dx, g, k, p, c);
        else if (S.Lanes > Simd128.Lanes && Simd128.IsSupported && outW >= Simd128.Lanes) GradientRows<Simd128, Vector128<float>>(x, dy, winner, dx, g, k, p, c);
        else
        {
            // The BatchNorm part everywhere, then each passing window's dy·k at its winner.
            BatchNormKernel.MultiplyAdd<S, V>(x, g.InH * g.InW, p, c, dx);
            for (int o = 0; o < g.OutPlane; o++)
            {
                if (winner[o] < 0) continue;
                int w = (int)winner[o];
                dx[w] = S.Fma(dy[o], k, dx[w]);
            }
        }
    }

    /// <summary>
    /// dx row by row, L windows (2L columns) at a time: each window's dy goes to the column its winner is in
    /// (two compares), then <c>ZipLow</c>/<c>ZipHigh</c> put the two columns of each window side by side. Rows and
    /// columns no window covers (odd sizes) get the BatchNorm part alone.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void GradientRows<S, V>(float* x, float* dy, float* winner, float* dx, in ConvGeometry g, float k, float p, float c)
        where S : struct, ISimdWidth<V> where V : struct
    {
        int lanes = S.Lanes, inW = g.InW, outW = g.OutW;
        V vk = S.Broadcast(k), vp = S.Broadcast(p), vc = S.Broadcast(c), one = S.Broadcast(1);
        V columns = S.Add(S.Indices, S.Indices);
        for (int h = 0; h < 2 * g.OutH; h++)
        {
            float* xr = x + h * inW, dr = dx + h * inW;
            int o = (h >> 1) * outW;
            for (int ow = 0; ow < outW; ow += lanes)
            {
                if (ow > outW - lanes) ow = outW - lanes;
                int w = 2 * ow;
                V at = S.Load(winner + o + ow), d = S.Load(dy + o + ow);
                V left = S.Add(S.Broadcast(h * inW + w), columns);
                V gl = S.Select(S.Equal(at, left), d, S.Zero), gr = S.Select(S.Equal(at, S.Add(left, one)), d, S.Zero);
                S.Store(dr + w, S.Fma(S.ZipLow(gl, gr), vk, S.Fma(S.Load(xr + w), vp, vc)));
                S.Store(dr + w + lanes, S.Fma(S.ZipHigh(gl, gr), vk, S.Fma(S.Load(xr + w + lanes), vp, vc)));
            }
            for (int w = 2 * outW; w < inW; w++) dr[w] = S.Fma(xr[w], p, c);
        }
        for (int h = 2 * g.OutH; h < g.InH; h++) BatchNormKernel.MultiplyAdd<S, V>(x + h * inW, inW, p, c, dx + h * inW);
    }
}
