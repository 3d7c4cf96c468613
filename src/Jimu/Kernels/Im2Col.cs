using System.Runtime.CompilerServices;

namespace Jimu.Kernels;

/// <summary>
/// Unfolds one C×H×W image into the matrix col[C·kh·kw, outH·outW] with
/// col[(c·kh + i)·kw + j, oh·outW + ow] = x[c, oh·sh − padTop + i, ow·sw − padLeft + j] (0 outside),
/// so that a convolution becomes W[out, C·kh·kw] · col. <see cref="Fold"/> is its adjoint.
/// </summary>
internal static class Im2Col
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Unfold(ReadOnlySpan<float> x, in ConvGeometry g, Span<float> col)
    {
        if (IsPlaneShift(g))
        {
            UnfoldShifted(x, g, col);
            return;
        }
        int plane = g.OutPlane;
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            var xc = x.Slice(c * g.InH * g.InW, g.InH * g.InW);
            for (int i = 0; i < g.KernelH; i++)
                for (int j = 0; j < g.KernelW; j++, row++)
                {
                    var dst = col.Slice(row * plane, plane);
                    for (int oh = 0; oh < g.OutH; oh++)
                    {
                        int h = oh * g.StrideH - g.PadTop + i;
                        var d = dst.Slice(oh * g.OutW, g.OutW);
                        if ((uint)h >= (uint)g.InH) { d.Clear(); continue; }
                        var src = xc.Slice(h * g.InW, g.InW);
                        int w0 = j - g.PadLeft;
                        if (g.StrideW == 1)
                        {
                            // Contiguous run: zeros, a copy, zeros.
                            int lo = Math.Clamp(-w0, 0, g.OutW), hi = Math.Clamp(g.InW - w0, lo, g.OutW);
                            // When the window column j misses the input entirely (hi == lo), w0 + lo may lie
                            // outside [0, InW]: only slice the source when there is something to copy.
                            d[..lo].Clear();
                            if (hi > lo) src.Slice(w0 + lo, hi - lo).CopyTo(d[lo..hi]);
                            d[hi..].Clear();
                        }
                        else
                        {
                            for (int ow = 0; ow < g.OutW; ow++)
                            {
                                int w = ow * g.StrideW + w0;
                                d[ow] = (uint)w < (uint)g.InW ? src[w] : 0f;
                            }
                        }
                    }
                }
        }
    }

    /// <summary>Stride 1 and an output as wide as the input (e.g. "same" padding): each col row is the whole plane shifted.</summary>
    private static bool IsPlaneShift(in ConvGeometry g) => g.StrideH == 1 && g.StrideW == 1 && g.OutW == g.InW;

    /// <summary>
    /// The fast path of <see cref="Unfold"/> when <see cref="IsPlaneShift"/>: with dh = i − padTop, dw = j − padLeft,
    /// col row (c, i, j) is x_c read at flat offset dh·W + dw: one contiguous copy, then zeros for the rows outside
    /// the input and for the |dw| columns per row that wrapped around into the neighbouring row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UnfoldShifted(ReadOnlySpan<float> x, in ConvGeometry g, Span<float> col)
    {
        int w = g.InW, inPlane = g.InH * w, plane = g.OutPlane;
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            var xc = x.Slice(c * inPlane, inPlane);
            for (int i = 0; i < g.KernelH; i++)
                for (int j = 0; j < g.KernelW; j++, row++)
                {
                    var dst = col.Slice(row * plane, plane);
                    int dh = i - g.PadTop, dw = j - g.PadLeft, offset = dh * w + dw;
                    int ohLo = Math.Max(0, -dh), ohHi = Math.Min(g.OutH, g.InH - dh);
                    if (ohHi <= ohLo || Math.Abs(dw) >= w) { dst.Clear(); continue; }
                    // dst[t] = xc[t + offset] for the valid rows, clamped to the source plane.
                    int t0 = ohLo * w, t1 = ohHi * w;
                    int start = Math.Max(t0, -offset), end = Math.Min(t1, inPlane - offset);
                    dst[..start].Clear();
                    xc.Slice(start + offset, end - start).CopyTo(dst[start..end]);
                    dst[end..].Clear();
                    ClearWrappedColumns(dst, w, dw, ohLo, ohHi);
                }
        }
    }

    /// <summary>
    /// In a col row shifted by dw columns, the entries of rows [ohLo, ohHi) whose source column ow + dw lies outside
    /// [0, W) were read from the neighbouring row: they stand for padding, so they are zeroed.
    /// </summary>
    private static void ClearWrappedColumns(Span<float> colRow, int w, int dw, int ohLo, int ohHi)
    {
        if (dw > 0)
            for (int oh = ohLo; oh < ohHi; oh++) colRow.Slice(oh * w + w - dw, dw).Clear();
        else if (dw < 0)
            for (int oh = ohLo; oh < ohHi; oh++) colRow.Slice(oh * w, -dw).Clear();
    }

    /// <summary>
    /// The adjoint of <see cref="Unfold"/>: dx[c, h, w] += every col entry that was read from it. dx is accumulated,
    /// not cleared. The col entries that stand for padding contribute nothing; they may be set to 0 on the way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Fold(Span<float> col, in ConvGeometry g, Span<float> dx)
    {
        if (IsPlaneShift(g))
        {
            FoldShifted(col, g, dx);
            return;
        }
        int plane = g.OutPlane;
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            var xc = dx.Slice(c * g.InH * g.InW, g.InH * g.InW);
            for (int i = 0; i < g.KernelH; i++)
                for (int j = 0; j < g.KernelW; j++, row++)
                {
                    var srcRow = col.Slice(row * plane, plane);
                    for (int oh = 0; oh < g.OutH; oh++)
                    {
                        int h = oh * g.StrideH - g.PadTop + i;
                        if ((uint)h >= (uint)g.InH) continue;
                        var s = srcRow.Slice(oh * g.OutW, g.OutW);
                        var d = xc.Slice(h * g.InW, g.InW);
                        int w0 = j - g.PadLeft;
                        if (g.StrideW == 1)
                        {
                            int lo = Math.Clamp(-w0, 0, g.OutW), hi = Math.Clamp(g.InW - w0, lo, g.OutW);
                            if (hi > lo) Elementwise.Add(d.Slice(w0 + lo, hi - lo), s[lo..hi]);
                        }
                        else
                        {
                            for (int ow = 0; ow < g.OutW; ow++)
                            {
                                int w = ow * g.StrideW + w0;
                                if ((uint)w < (uint)g.InW) d[w] += s[ow];
                            }
                        }
                    }
                }
        }
    }

    /// <summary>
    /// The fast path of <see cref="Fold"/>, the adjoint of <see cref="UnfoldShifted"/>: zero the col entries of the
    /// wrapped columns (padding, which contributes nothing), then add each col row to dx_c at flat offset dh·W + dw
    /// in one contiguous run.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FoldShifted(Span<float> col, in ConvGeometry g, Span<float> dx)
    {
        int w = g.InW, inPlane = g.InH * w, plane = g.OutPlane;
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            var xc = dx.Slice(c * inPlane, inPlane);
            for (int i = 0; i < g.KernelH; i++)
                for (int j = 0; j < g.KernelW; j++, row++)
                {
                    var src = col.Slice(row * plane, plane);
                    int dh = i - g.PadTop, dw = j - g.PadLeft, offset = dh * w + dw;
                    int ohLo = Math.Max(0, -dh), ohHi = Math.Min(g.OutH, g.InH - dh);
                    if (ohHi <= ohLo || Math.Abs(dw) >= w) continue;
                    ClearWrappedColumns(src, w, dw, ohLo, ohHi);
                    int start = Math.Max(ohLo * w, -offset), end = Math.Min(ohHi * w, inPlane - offset);
                    Elementwise.Add(xc.Slice(start + offset, end - start), src[start..end]);
                }
        }
    }
}
