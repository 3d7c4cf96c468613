namespace Jimu.Kernels;

/// <summary>
/// Unfolds one C×H×W image into the matrix col[C·kh·kw, outH·outW] with
/// col[(c·kh + i)·kw + j, oh·outW + ow] = x[c, oh·sh − padTop + i, ow·sw − padLeft + j] (0 outside),
/// so that a convolution becomes W[out, C·kh·kw] · col. <see cref="Fold"/> is its adjoint.
/// </summary>
public static class Im2Col
{
    public static void Unfold(ReadOnlySpan<float> x, in ConvGeometry g, Span<float> col)
    {
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

    /// <summary>The adjoint of <see cref="Unfold"/>: dx[c, h, w] += every col entry that was read from it. dx is accumulated, not cleared.</summary>
    public static void Fold(ReadOnlySpan<float> col, in ConvGeometry g, Span<float> dx)
    {
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
}
