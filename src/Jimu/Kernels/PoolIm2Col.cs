using System.Runtime.CompilerServices;

namespace Jimu.Kernels;

/// <summary>
/// Pooling through im2col, as the seeds do it: each C×H×W image is unfolded into col[C·kh·kw, outH·outW]
/// (<see cref="Im2Col.Unfold"/>), where channel c owns rows c·K … c·K + K − 1 (K = kh·kw, row r = i·kw + j in
/// row-major window order); the forward pass reduces each channel's K rows, and the backward pass writes the
/// gradient into a col matrix and folds it back (<see cref="Im2Col.Fold"/>). Results equal <see cref="PoolDirect"/>.
/// <c>col</c> is caller-owned scratch of at least C·K·outH·outW elements.
/// </summary>
internal static class PoolIm2Col
{
    /// <summary>
    /// y[n,c,p] = max over real (non-padding) rows r of col[c·K + r, p]; argmax[n,c,p] = the FIRST such r holding the
    /// maximum (−1 when the window holds only padding, then y = −∞). Unfolded padding is 0, so it is masked out here by
    /// geometry: row r = (i, j) reads real input exactly for the outputs with 0 ≤ oh·sh − padTop + i &lt; H and
    /// 0 ≤ ow·sw − padLeft + j &lt; W.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxForward(ReadOnlySpan<float> x, in ConvGeometry g, int batch, Span<float> col, Span<float> y, Span<int> argmax)
    {
        int k = g.KernelH * g.KernelW, p = g.OutPlane;
        var cols = col[..(g.PatchSize * p)];
        for (int n = 0; n < batch; n++)
        {
            Im2Col.Unfold(x.Slice(n * g.InSize, g.InSize), g, cols);
            for (int c = 0; c < g.Channels; c++)
            {
                int plane = n * g.Channels + c;
                var best = y.Slice(plane * p, p);
                var arg = argmax.Slice(plane * p, p);
                best.Fill(float.NegativeInfinity);
                arg.Fill(-1);
                for (int i = 0; i < g.KernelH; i++)
                {
                    var (ohLo, ohHi) = ValidRange(g.OutH, g.StrideH, g.PadTop - i, g.InH);
                    for (int j = 0; j < g.KernelW; j++)
                    {
                        var (owLo, owHi) = ValidRange(g.OutW, g.StrideW, g.PadLeft - j, g.InW);
                        int r = i * g.KernelW + j;
                        var row = cols.Slice((c * k + r) * p, p);
                        for (int oh = ohLo; oh < ohHi; oh++)
                            for (int ow = owLo; ow < owHi; ow++)
                            {
                                int o = oh * g.OutW + ow;
                                float v = row[o];
                                // Rows come in window order, so strictly greater keeps the first maximum.
                                if (arg[o] < 0 || v > best[o] || (float.IsNaN(v) && !float.IsNaN(best[o])))
                                {
                                    best[o] = v;
                                    arg[o] = r;
                                }
                            }
                    }
                }
            }
        }
    }

    /// <summary>dcol[c·K + argmax[n,c,p], p] = dy[n,c,p], zeros elsewhere; dx[n] = Fold(dcol). dx is overwritten.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxBackward(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, in ConvGeometry g, int batch, Span<float> col, Span<float> dx)
    {
        int k = g.KernelH * g.KernelW, p = g.OutPlane;
        var cols = col[..(g.PatchSize * p)];
        for (int n = 0; n < batch; n++)
        {
            cols.Clear();
            for (int c = 0; c < g.Channels; c++)
            {
                int plane = n * g.Channels + c;
                var dyp = dy.Slice(plane * p, p);
                var arg = argmax.Slice(plane * p, p);
                for (int o = 0; o < p; o++)
                    if (arg[o] >= 0) cols[(c * k + arg[o]) * p + o] = dyp[o];
            }
            var dxn = dx.Slice(n * g.InSize, g.InSize);
            dxn.Clear();
            Im2Col.Fold(cols, g, dxn);
        }
    }

    /// <summary>y[n,c,p] = Σ_r col[c·K + r, p] / K (unfolded padding is 0 and counts in the divisor: count_include_pad=True).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgForward(ReadOnlySpan<float> x, in ConvGeometry g, int batch, Span<float> col, Span<float> y)
    {
        int k = g.KernelH * g.KernelW, p = g.OutPlane;
        var cols = col[..(g.PatchSize * p)];
        for (int n = 0; n < batch; n++)
        {
            Im2Col.Unfold(x.Slice(n * g.InSize, g.InSize), g, cols);
            for (int c = 0; c < g.Channels; c++)
            {
                var yp = y.Slice((n * g.Channels + c) * p, p);
                yp.Clear();
                for (int r = 0; r < k; r++) Elementwise.Add(yp, cols.Slice((c * k + r) * p, p));
                Elementwise.Scale(yp, 1f / k);
            }
        }
    }

    /// <summary>dcol[c·K + r, p] = dy[n,c,p] / K for every r; dx[n] = Fold(dcol) (padding entries are dropped). dx is overwritten.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgBackward(ReadOnlySpan<float> dy, in ConvGeometry g, int batch, Span<float> col, Span<float> dx)
    {
        int k = g.KernelH * g.KernelW, p = g.OutPlane;
        var cols = col[..(g.PatchSize * p)];
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < g.Channels; c++)
            {
                var dyp = dy.Slice((n * g.Channels + c) * p, p);
                for (int r = 0; r < k; r++)
                {
                    var row = cols.Slice((c * k + r) * p, p);
                    row.Clear();
                    Elementwise.AddScaled(row, dyp, 1f / k);
                }
            }
            var dxn = dx.Slice(n * g.InSize, g.InSize);
            dxn.Clear();
            Im2Col.Fold(cols, g, dxn);
        }
    }

    /// <summary>The outputs o in [lo, hi) for which o·stride − offset lies in [0, size).</summary>
    private static (int Lo, int Hi) ValidRange(int outSize, int stride, int offset, int size)
    {
        // o·stride ≥ offset  ⇔ o ≥ ceil(offset / stride);  o·stride < size + offset ⇔ o ≤ floor((size + offset − 1) / stride).
        int lo = offset <= 0 ? 0 : (offset + stride - 1) / stride;
        int last = size + offset - 1;
        int hi = last < 0 ? 0 : Math.Min(last / stride + 1, outSize);
        return (Math.Min(lo, hi), hi);
    }
}
