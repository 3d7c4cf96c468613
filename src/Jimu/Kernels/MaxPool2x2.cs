using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// The common case of max pooling, a 2×2 window with stride 2 and no padding, without the general loops of
/// <see cref="PoolDirect.MaxForward"/>: the same results (first maximum in row-major order, NaN wins), tested against it.
/// Written once over the vector width (<see cref="ISimdWidth{V}"/>): L outputs of a row at a time from two loads of
/// each input row, split into even and odd columns, so that the window's four candidates a b / c d are four vectors:
/// <code>
/// top = winner(a, b), bottom = winner(c, d), y = winner(top, bottom)     (winner keeps the left one unless the right
///                                                                         one is greater, or a NaN against a number)
/// </code>
/// The first maximum in the order a, b, c, d is the left-preferring winner of any bracket that keeps that order.
/// </summary>
internal static class MaxPool2x2
{
    public static bool Applies(in ConvGeometry g) =>
        g.KernelH == 2 && g.KernelW == 2 && g.StrideH == 2 && g.StrideW == 2
        && g.PadTop == 0 && g.PadLeft == 0 && g.PadBottom == 0 && g.PadRight == 0;

    /// <summary>
    /// x: [planes, H, W]; y, argmax: [planes, H/2, W/2] (argmax = h·W + w in the input plane). With
    /// <paramref name="relu"/>, then <see cref="PoolDirect.ReluOfMax"/> (fused: y = relu(max), argmax −1 where y ≤ 0).
    /// </summary>
    public static unsafe void Forward(ReadOnlySpan<float> x, in ConvGeometry g, int planes, Span<float> y, Span<int> argmax, bool relu = false)
    {
        int outW = g.OutW;
        if (planes * g.InH * g.InW > x.Length || planes * g.OutPlane > Math.Min(y.Length, argmax.Length))
            throw new ArgumentException("MaxPool2x2: a span is shorter than the planes it must hold.");
        // The widest vector no wider than an output row; indices are computed in float, exact below 2²⁴.
        bool exact = g.InH * g.InW < 1 << 24;
        fixed (float* px = x)
        fixed (float* py = y)
        fixed (int* pa = argmax)
        {
            if (Vector512.IsHardwareAccelerated && exact && outW >= Simd512.Lanes) Rows<Simd512, Vector512<float>>(px, g, planes, py, pa, relu);
            else if (Vector256.IsHardwareAccelerated && exact && outW >= Simd256.Lanes) Rows<Simd256, Vector256<float>>(px, g, planes, py, pa, relu);
            else if (Vector128.IsHardwareAccelerated && exact && outW >= Simd128.Lanes) Rows<Simd128, Vector128<float>>(px, g, planes, py, pa, relu);
            else
            {
                ForwardScalar(x, g, planes, y, argmax);
                if (relu) PoolDirect.ReluOfMax(y.Slice(0, planes * g.OutPlane), argmax.Slice(0, planes * g.OutPlane));
            }
        }
    }

    /// <summary>
    /// Every output row in blocks of L outputs; the last block of a row overlaps the one before it so that every block
    /// is whole (the overlapping outputs are written twice with the same values). Needs outW ≥ L.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Rows<S, V>(float* x, in ConvGeometry g, int planes, float* y, int* argmax, bool relu)
        where S : struct, ISimdWidth<V> where V : struct
    {
        int lanes = S.Lanes, inW = g.InW, outW = g.OutW, outH = g.OutH;
        long inPlane = (long)g.InH * inW, outPlane = g.OutPlane;
        // Offsets of b, c, d from a, and the input column of each lane's a.
        V right = S.Broadcast(1), below = S.Broadcast(inW), belowRight = S.Broadcast(inW + 1);
        V columns = S.Add(S.Indices, S.Indices);
        V none = S.Broadcast(-1);
        for (int plane = 0; plane < planes; plane++, x += inPlane, y += outPlane, argmax += outPlane)
            for (int oh = 0; oh < outH; oh++)
            {
                float* r0 = x + 2L * oh * inW, r1 = r0 + inW;
                float* yr = y + (long)oh * outW;
                int* ar = argmax + (long)oh * outW;
                for (int ow = 0; ow < outW; ow += lanes)
                {
                    if (ow > outW - lanes) ow = outW - lanes;
                    int w = 2 * ow;
                    V l0 = S.Load(r0 + w), h0 = S.Load(r0 + w + lanes), l1 = S.Load(r1 + w), h1 = S.Load(r1 + w + lanes);
                    V a = S.Even(l0, h0), b = S.Odd(l0, h0), c = S.Even(l1, h1), d = S.Odd(l1, h1);
                    V takeB = Wins<S, V>(b, a), takeD = Wins<S, V>(d, c);
                    V top = S.Select(takeB, b, a), bottom = S.Select(takeD, d, c);
                    V topAt = S.And(takeB, right), bottomAt = S.Select(takeD, belowRight, below);
                    V takeBottom = Wins<S, V>(bottom, top);
                    V best = S.Select(takeBottom, bottom, top);
                    V at = S.Add(S.Select(takeBottom, bottomAt, topAt), S.Add(S.Broadcast(2 * oh * inW + w), columns));
                    if (relu)
                    {
                        // relu(max): a window whose maximum is not positive passes no gradient; NaN stays NaN.
                        V positive = S.GreaterThan(best, S.Zero);
                        best = S.Select(S.Or(positive, S.IsNaN(best)), best, S.Zero);
                        at = S.Select(positive, at, none);
                    }
                    S.Store(yr + ow, best);
                    S.StoreInt32(ar + ow, at);
                }
            }
    }

    /// <summary>Lanes where the later candidate v replaces the current best: v &gt; best, or v is the first NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static V Wins<S, V>(V v, V best) where S : struct, ISimdWidth<V> where V : struct =>
        S.Or(S.GreaterThan(v, best), S.AndNot(S.IsNaN(v), S.IsNaN(best)));

    /// <summary>
    /// Replaces (best, at) by (v, index) when v wins. Branch-free through bit masks: on random data every branch
    /// would be mispredicted half the time, which made this loop three times slower.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(ref float best, ref int at, float v, int index)
    {
        bool take = (v > best) | (float.IsNaN(v) & !float.IsNaN(best));
        int mask = -Unsafe.As<bool, byte>(ref take);
        at = (at & ~mask) | (index & mask);
        best = BitConverter.Int32BitsToSingle((BitConverter.SingleToInt32Bits(best) & ~mask) | (BitConverter.SingleToInt32Bits(v) & mask));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardScalar(ReadOnlySpan<float> x, in ConvGeometry g, int planes, Span<float> y, Span<int> argmax)
    {
        int inW = g.InW, inPlane = g.InH * inW, outW = g.OutW, outPlane = g.OutPlane;
        for (int plane = 0; plane < planes; plane++)
        {
            var xp = x.Slice(plane * inPlane, inPlane);
            var yp = y.Slice(plane * outPlane, outPlane);
            var ap = argmax.Slice(plane * outPlane, outPlane);
            for (int oh = 0; oh < g.OutH; oh++)
            {
                int top = 2 * oh * inW;
                var r0 = xp.Slice(top, inW);
                var r1 = xp.Slice(top + inW, inW);
                var yr = yp.Slice(oh * outW, outW);
                var ar = ap.Slice(oh * outW, outW);
                for (int ow = 0; ow < outW; ow++)
                {
                    int w = 2 * ow;
                    float best = r0[w];
                    int at = top + w;
                    // Candidates in row-major order; a later one wins only if strictly greater (or the first NaN).
                    Take(ref best, ref at, r0[w + 1], top + w + 1);
                    Take(ref best, ref at, r1[w], top + inW + w);
                    Take(ref best, ref at, r1[w + 1], top + inW + w + 1);
                    yr[ow] = best;
                    ar[ow] = at;
                }
            }
        }
    }
}
