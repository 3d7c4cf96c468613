namespace Jimu.Kernels;

/// <summary>
/// 2-D convolution (cross-correlation, no kernel flip) as plain loops over NCHW spans: the reference
/// against which the im2col + GEMM path is tested. Shapes, with g the geometry of one image:
/// x [N, C, H, W], w [O, C, kh, kw], bias [O] (or empty), y [N, O, OH, OW].
/// <code>
/// y[n,o,oh,ow] = bias[o] + Σ_{c,i,j} w[o,c,i,j] · x[n, c, oh·sh − padTop + i, ow·sw − padLeft + j]   (x = 0 outside)
/// </code>
/// The backward passes follow from each term w·x: it sends dy·w to x, dy·x to w, and dy to bias.
/// </summary>
internal static class ConvDirect
{
    /// <summary>y[n,o,oh,ow] = bias[o] + Σ_{c,i,j} w[o,c,i,j] · x[n,c,h,w] with h = oh·sh − padTop + i, w = ow·sw − padLeft + j. Overwrites y.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y,
        int batch, int outChannels, in ConvGeometry g)
    {
        Check(x.Length, batch * g.InSize, "x");
        Check(w.Length, outChannels * g.PatchSize, "w");
        Check(y.Length, batch * outChannels * g.OutPlane, "y");
        if (!bias.IsEmpty) Check(bias.Length, outChannels, "bias");

        for (int n = 0; n < batch; n++)
            for (int o = 0; o < outChannels; o++)
                for (int oh = 0; oh < g.OutH; oh++)
                    for (int ow = 0; ow < g.OutW; ow++)
                    {
                        float s = bias.IsEmpty ? 0f : bias[o];
                        for (int c = 0; c < g.Channels; c++)
                            for (int i = 0; i < g.KernelH; i++)
                            {
                                int h = oh * g.StrideH - g.PadTop + i;
                                if ((uint)h >= (uint)g.InH) continue;
                                for (int j = 0; j < g.KernelW; j++)
                                {
                                    int v = ow * g.StrideW - g.PadLeft + j;
                                    if ((uint)v >= (uint)g.InW) continue;
                                    s += w[((o * g.Channels + c) * g.KernelH + i) * g.KernelW + j]
                                       * x[((n * g.Channels + c) * g.InH + h) * g.InW + v];
                                }
                            }
                        y[((n * outChannels + o) * g.OutH + oh) * g.OutW + ow] = s;
                    }
    }

    /// <summary>dx[n,c,h,w] = Σ over every (o, oh, ow, i, j) that read x[n,c,h,w] of w[o,c,i,j] · dy[n,o,oh,ow]. Overwrites dx.</summary>
    public static void BackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx,
        int batch, int outChannels, in ConvGeometry g)
    {
        Check(dy.Length, batch * outChannels * g.OutPlane, "dy");
        Check(w.Length, outChannels * g.PatchSize, "w");
        Check(dx.Length, batch * g.InSize, "dx");

        dx.Clear();
        for (int n = 0; n < batch; n++)
            for (int o = 0; o < outChannels; o++)
                for (int oh = 0; oh < g.OutH; oh++)
                    for (int ow = 0; ow < g.OutW; ow++)
                    {
                        float d = dy[((n * outChannels + o) * g.OutH + oh) * g.OutW + ow];
                        for (int c = 0; c < g.Channels; c++)
                            for (int i = 0; i < g.KernelH; i++)
                            {
                                int h = oh * g.StrideH - g.PadTop + i;
                                if ((uint)h >= (uint)g.InH) continue;
                                for (int j = 0; j < g.KernelW; j++)
                                {
                                    int v = ow * g.StrideW - g.PadLeft + j;
                                    if ((uint)v >= (uint)g.InW) continue;
                                    dx[((n * g.Channels + c) * g.InH + h) * g.InW + v]
                                        += w[((o * g.Channels + c) * g.KernelH + i) * g.KernelW + j] * d;
                                }
                            }
                    }
    }

    /// <summary>
    /// dw[o,c,i,j] = Σ_{n,oh,ow} x[n,c,h,w] · dy[n,o,oh,ow] and db[o] = Σ_{n,oh,ow} dy[n,o,oh,ow]: sums over the batch, not means.
    /// Overwrites dw and db; pass an empty db when there is no bias.
    /// </summary>
    public static void BackwardWeights(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, Span<float> db,
        int batch, int outChannels, in ConvGeometry g)
    {
        Check(x.Length, batch * g.InSize, "x");
        Check(dy.Length, batch * outChannels * g.OutPlane, "dy");
        Check(dw.Length, outChannels * g.PatchSize, "dw");
        if (!db.IsEmpty) Check(db.Length, outChannels, "db");

        dw.Clear();
        db.Clear();
        for (int n = 0; n < batch; n++)
            for (int o = 0; o < outChannels; o++)
                for (int oh = 0; oh < g.OutH; oh++)
                    for (int ow = 0; ow < g.OutW; ow++)
                    {
                        float d = dy[((n * outChannels + o) * g.OutH + oh) * g.OutW + ow];
                        if (!db.IsEmpty) db[o] += d;
                        for (int c = 0; c < g.Channels; c++)
                            for (int i = 0; i < g.KernelH; i++)
                            {
                                int h = oh * g.StrideH - g.PadTop + i;
                                if ((uint)h >= (uint)g.InH) continue;
                                for (int j = 0; j < g.KernelW; j++)
                                {
                                    int v = ow * g.StrideW - g.PadLeft + j;
                                    if ((uint)v >= (uint)g.InW) continue;
                                    dw[((o * g.Channels + c) * g.KernelH + i) * g.KernelW + j]
                                        += x[((n * g.Channels + c) * g.InH + h) * g.InW + v] * d;
                                }
                            }
                    }
    }

    private static void Check(int actual, int expected, string what)
    {
        if (actual != expected)
            throw new ArgumentException($"ConvDirect: {what} has {actual} elements, expected {expected}.", what);
    }
}
