using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Jimu.Kernels;

/// <summary>
/// Pooling by direct loops over a batch of N images of C×H×W (the reference algorithm).
/// Window of output (oh, ow): rows h = oh·sh − padTop + i (0 ≤ i &lt; kh), columns w = ow·sw − padLeft + j (0 ≤ j &lt; kw);
/// positions outside the input are padding.
/// </summary>
internal static class PoolDirect
{
    /// <summary>
    /// y[n,c,oh,ow] = max over the window's real (non-padding) positions; padding never wins (it acts as −∞, as in PyTorch).
    /// argmax[n,c,oh,ow] = h·W + w of the FIRST maximum in row-major window order, or −1 if the window holds only padding
    /// (then y = −∞). A NaN wins over any number (the first NaN), so NaN propagates.
    /// x: [N, C, H, W]; y, argmax: [N, C, outH, outW].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxForward(ReadOnlySpan<float> x, in ConvGeometry g, int batch, Span<float> y, Span<int> argmax)
    {
        int inPlane = g.InH * g.InW, outPlane = g.OutPlane;
        for (int plane = 0; plane < batch * g.Channels; plane++)
        {
            var xp = x.Slice(plane * inPlane, inPlane);
            var yp = y.Slice(plane * outPlane, outPlane);
            var ap = argmax.Slice(plane * outPlane, outPlane);
            for (int oh = 0; oh < g.OutH; oh++)
            {
                int h0 = oh * g.StrideH - g.PadTop;
                int hLo = Math.Max(h0, 0), hHi = Math.Min(h0 + g.KernelH, g.InH);
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    int w0 = ow * g.StrideW - g.PadLeft;
                    int wLo = Math.Max(w0, 0), wHi = Math.Min(w0 + g.KernelW, g.InW);
                    float best = float.NegativeInfinity;
                    int bestAt = -1;
                    for (int h = hLo; h < hHi; h++)
                    {
                        var row = xp.Slice(h * g.InW, g.InW);
                        for (int w = wLo; w < wHi; w++)
                        {
                            float v = row[w];
                            // Strictly greater keeps the first of equal maxima.
                            if (v > best || bestAt < 0 || (float.IsNaN(v) && !float.IsNaN(best)))
                            {
                                best = v;
                                bestAt = h * g.InW + w;
                            }
                        }
                    }
                    yp[oh * g.OutW + ow] = best;
                    ap[oh * g.OutW + ow] = bestAt;
                }
            }
        }
    }

    /// <summary>dx[n,c,h,w] = Σ dy[n,c,oh,ow] over the outputs whose argmax is (h, w); dx is overwritten.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxBackward(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, in ConvGeometry g, int batch, Span<float> dx)
    {
        int inPlane = g.InH * g.InW, outPlane = g.OutPlane;
        dx.Slice(0, batch * g.Channels * inPlane).Clear();
        for (int plane = 0; plane < batch * g.Channels; plane++)
        {
            var dxp = dx.Slice(plane * inPlane, inPlane);
            var dyp = dy.Slice(plane * outPlane, outPlane);
            var ap = argmax.Slice(plane * outPlane, outPlane);
            for (int o = 0; o < outPlane; o++)
                if (ap[o] >= 0) dxp[ap[o]] += dyp[o];
        }
    }

    /// <summary>
    /// Turns max-pooled outputs into relu(maxpool(x)), which equals maxpool(relu(x)) since the ReLU is monotone:
    /// y = max(y, 0) (NaN stays NaN), and a window whose maximum is not positive passes no gradient (argmax −1),
    /// as the ReLU in front of it would have stopped it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ReluOfMax(Span<float> y, Span<int> argmax)
    {
        if (argmax.Length != y.Length) throw new ArgumentException($"Span lengths differ: {y.Length} and {argmax.Length}.");
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var ys = MemoryMarshal.Cast<float, Vector<float>>(y);
            var args = MemoryMarshal.Cast<int, Vector<int>>(argmax);
            var none = new Vector<int>(-1);
            for (; i < ys.Length; i++)
            {
                var v = ys[i];
                var positive = Vector.GreaterThan(v, Vector<float>.Zero);
                ys[i] = Vector.ConditionalSelect(positive | ~Vector.Equals(v, v), v, Vector<float>.Zero);
                args[i] = Vector.ConditionalSelect(positive, args[i], none);
            }
            i *= Vector<float>.Count;
        }
        for (; i < y.Length; i++)
            if (!(y[i] > 0))
            {
                argmax[i] = -1;
                if (!float.IsNaN(y[i])) y[i] = 0;
            }
    }

    /// <summary>
    /// y[n,c,oh,ow] = (Σ over the window's real positions x[n,c,h,w]) / (kh·kw): padding counts as zeros in the
    /// divisor (PyTorch's count_include_pad=True default). x: [N, C, H, W]; y: [N, C, outH, outW].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgForward(ReadOnlySpan<float> x, in ConvGeometry g, int batch, Span<float> y)
    {
        int inPlane = g.InH * g.InW, outPlane = g.OutPlane;
        float scale = 1f / (g.KernelH * g.KernelW);
        for (int plane = 0; plane < batch * g.Channels; plane++)
        {
            var xp = x.Slice(plane * inPlane, inPlane);
            var yp = y.Slice(plane * outPlane, outPlane);
            for (int oh = 0; oh < g.OutH; oh++)
            {
                int h0 = oh * g.StrideH - g.PadTop;
                int hLo = Math.Max(h0, 0), hHi = Math.Min(h0 + g.KernelH, g.InH);
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    int w0 = ow * g.StrideW - g.PadLeft;
                    int wLo = Math.Max(w0, 0), wHi = Math.Min(w0 + g.KernelW, g.InW);
                    float sum = 0;
                    for (int h = hLo; h < hHi; h++)
                        for (int w = wLo; w < wHi; w++)
                            sum += xp[h * g.InW + w];
                    yp[oh * g.OutW + ow] = sum * scale;
                }
            }
        }
    }

    /// <summary>dx[n,c,h,w] = Σ dy[n,c,oh,ow] / (kh·kw) over the windows that contain (h, w); dx is overwritten.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgBackward(ReadOnlySpan<float> dy, in ConvGeometry g, int batch, Span<float> dx)
    {
        int inPlane = g.InH * g.InW, outPlane = g.OutPlane;
        float scale = 1f / (g.KernelH * g.KernelW);
        dx.Slice(0, batch * g.Channels * inPlane).Clear();
        for (int plane = 0; plane < batch * g.Channels; plane++)
        {
            var dxp = dx.Slice(plane * inPlane, inPlane);
            var dyp = dy.Slice(plane * outPlane, outPlane);
            for (int oh = 0; oh < g.OutH; oh++)
            {
                int h0 = oh * g.StrideH - g.PadTop;
                int hLo = Math.Max(h0, 0), hHi = Math.Min(h0 + g.KernelH, g.InH);
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    int w0 = ow * g.StrideW - g.PadLeft;
                    int wLo = Math.Max(w0, 0), wHi = Math.Min(w0 + g.KernelW, g.InW);
                    float d = dyp[oh * g.OutW + ow] * scale;
                    for (int h = hLo; h < hHi; h++)
                        for (int w = wLo; w < wHi; w++)
                            dxp[h * g.InW + w] += d;
                }
            }
        }
    }
}
