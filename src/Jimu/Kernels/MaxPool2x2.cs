using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// The common case of max pooling, a 2×2 window with stride 2 and no padding, without the general loops of
/// <see cref="PoolDirect.MaxForward"/>: the same results (first maximum in row-major order, NaN wins), tested against it.
/// </summary>
internal static class MaxPool2x2
{
    public static bool Applies(in ConvGeometry g) =>
        g.KernelH == 2 && g.KernelW == 2 && g.StrideH == 2 && g.StrideW == 2
        && g.PadTop == 0 && g.PadLeft == 0 && g.PadBottom == 0 && g.PadRight == 0;

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

    /// <summary>
    /// x: [planes, H, W]; y, argmax: [planes, H/2, W/2] (argmax = h·W + w in the input plane).
    /// <paramref name="corners"/> is the caller's cache of <see cref="Corners"/> for this geometry (null: none yet).
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, in ConvGeometry g, int planes, Span<float> y, Span<int> argmax, int[]? corners = null)
    {
        if (Avx2.IsSupported && g.OutPlane >= 8) ForwardGather(x, g, planes, y, argmax, corners ?? Corners(g));
        else ForwardScalar(x, g, planes, y, argmax);
    }

    /// <summary>Offset of each window's top-left corner in an input plane: corners[oh·outW + ow] = 2·oh·W + 2·ow.</summary>
    public static int[] Corners(in ConvGeometry g)
    {
        var corners = new int[g.OutPlane];
        for (int o = 0; o < corners.Length; o++) corners[o] = 2 * (o / g.OutW) * g.InW + 2 * (o % g.OutW);
        return corners;
    }

    /// <summary>
    /// 8 windows at a time (AVX2 gathers; .NET exposes no 512-bit gather): gather each window's four values (offsets from a table of top-left corners) and keep
    /// the winner with vector compares and selects. The last block of a plane overlaps the one before it so that
    /// every block is whole; the overlapping outputs are written twice with the same values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ForwardGather(ReadOnlySpan<float> x, in ConvGeometry g, int planes, Span<float> y, Span<int> argmax, int[] cornerTable)
    {
        int inW = g.InW, inPlane = g.InH * inW, outPlane = g.OutPlane;
        var right = Vector256.Create(1);
        var below = Vector256.Create(inW);
        fixed (float* px = x)
        fixed (float* py = y)
        fixed (int* pa = argmax)
        fixed (int* corners = cornerTable)
        {
            for (int plane = 0; plane < planes; plane++)
            {
                float* xp = px + (long)plane * inPlane;
                float* yp = py + (long)plane * outPlane;
                int* ap = pa + (long)plane * outPlane;
                for (int o = 0; o < outPlane; o += 8)
                {
                    if (o > outPlane - 8) o = outPlane - 8;
                    var corner = Vector256.Load(corners + o);
                    var at = corner;
                    var best = Avx2.GatherVector256(xp, corner, 4);
                    Step(xp, ref best, ref at, corner + right);
                    Step(xp, ref best, ref at, corner + below);
                    Step(xp, ref best, ref at, corner + below + right);
                    best.Store(yp + o);
                    at.Store(ap + o);
                }
            }
        }
    }

    /// <summary>The vector form of <see cref="Take"/>: lanes where the candidate at <paramref name="index"/> wins take it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Step(float* plane, ref Vector256<float> best, ref Vector256<int> at, Vector256<int> index)
    {
        var v = Avx2.GatherVector256(plane, index, 4);
        var take = Vector256.GreaterThan(v, best) | (~Vector256.Equals(v, v) & Vector256.Equals(best, best));
        best = Vector256.ConditionalSelect(take, v, best);
        at = Vector256.ConditionalSelect(take.AsInt32(), index, at);
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
