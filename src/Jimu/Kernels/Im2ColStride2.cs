using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// <see cref="Im2Col"/>'s unfold and fold for stride 2 on both axes, through the four phase planes of each channel
/// (polyphase, "space to depth"): split once, every kernel tap reads whole contiguous runs of one phase plane instead of
/// gathering every second value. With a = (i − padTop) mod 2, di = (i − padTop − a) / 2 and likewise b, dj for column j:
/// <code>
/// phase[c, a, b][t, u] = x[c, 2t + a, 2u + b]            (t &lt; Ha = ⌈(H − a)/2⌉, u &lt; Wb = ⌈(W − b)/2⌉)
/// col[(c·kh + i)·kw + j, oh·OW + ow] = phase[c, a, b][oh + di, ow + dj]   (0 outside the phase plane)
/// </code>
/// which is im2col's col[…] = x[c, 2·oh − padTop + i, 2·ow − padLeft + j] exactly: the same matrix, so the GEMMs around
/// it and their results are im2col's. <see cref="Fold"/> is the adjoint: add each col row into its phase plane's
/// gradient, then interleave the four planes back into dx. The phase planes are the calling thread's scratch.
/// </summary>
internal static class Im2ColStride2
{
    /// <summary>Stride 2 on both axes.</summary>
    public static bool Applies(in ConvGeometry g) => g.StrideH == 2 && g.StrideW == 2;

    /// <summary>Floats of one channel's four phase planes: 4·⌈H/2⌉·⌈W/2⌉.</summary>
    private static int ChannelPhases(in ConvGeometry g) => 4 * ((g.InH + 1) / 2) * ((g.InW + 1) / 2);

    /// <summary>col = unfold(x) for one image [C, H, W] (as <see cref="Im2Col.Unfold"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Unfold(ComputeContext lane, ReadOnlySpan<float> x, in ConvGeometry g, Span<float> col)
    {
        int hh = (g.InH + 1) / 2, wh = (g.InW + 1) / 2, phasePlane = hh * wh, inPlane = g.InH * g.InW;
        var phases = lane.Workspace.Span(Scratch.PhasePlanes, ChannelPhases(g));
        int q = g.OutPlane, taps = g.KernelH * g.KernelW;
        for (int c = 0; c < g.Channels; c++)
        {
            Split(x.Slice(c * inPlane, inPlane), g.InH, g.InW, phases);
            for (int i = 0; i < g.KernelH; i++)
            {
                var (a, di) = Phase(i - g.PadTop);
                int ha = (g.InH - a + 1) / 2;
                for (int j = 0; j < g.KernelW; j++)
                {
                    var (b, dj) = Phase(j - g.PadLeft);
                    int wb = (g.InW - b + 1) / 2;
                    var src = phases.Slice((2 * a + b) * phasePlane, phasePlane);
                    var dst = col.Slice((c * taps + i * g.KernelW + j) * q, q);
                    int lo = Math.Clamp(-dj, 0, g.OutW), hi = Math.Clamp(wb - dj, lo, g.OutW);
                    for (int oh = 0; oh < g.OutH; oh++)
                    {
                        var d = dst.Slice(oh * g.OutW, g.OutW);
                        int t = oh + di;
                        if ((uint)t >= (uint)ha || hi == lo) { d.Clear(); continue; }
                        d[..lo].Clear();
                        src.Slice(t * wh + dj + lo, hi - lo).CopyTo(d[lo..hi]);
                        d[hi..].Clear();
                    }
                }
            }
        }
    }

    /// <summary>dx = fold(dcol) for one image (set, not added to): the adjoint of <see cref="Unfold"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Fold(ComputeContext lane, ReadOnlySpan<float> dcol, in ConvGeometry g, Span<float> dx)
    {
        int hh = (g.InH + 1) / 2, wh = (g.InW + 1) / 2, phasePlane = hh * wh, inPlane = g.InH * g.InW;
        var phases = lane.Workspace.Span(Scratch.PhasePlanes, ChannelPhases(g));
        int q = g.OutPlane, taps = g.KernelH * g.KernelW;
        for (int c = 0; c < g.Channels; c++)
        {
            phases.Clear();
            for (int i = 0; i < g.KernelH; i++)
            {
                var (a, di) = Phase(i - g.PadTop);
                int ha = (g.InH - a + 1) / 2;
                for (int j = 0; j < g.KernelW; j++)
                {
                    var (b, dj) = Phase(j - g.PadLeft);
                    int wb = (g.InW - b + 1) / 2;
                    var dst = phases.Slice((2 * a + b) * phasePlane, phasePlane);
                    var src = dcol.Slice((c * taps + i * g.KernelW + j) * q, q);
                    int lo = Math.Clamp(-dj, 0, g.OutW), hi = Math.Clamp(wb - dj, lo, g.OutW);
                    if (hi == lo) continue;
                    int oh0 = Math.Max(0, -di), oh1 = Math.Min(g.OutH, ha - di);
                    for (int oh = oh0; oh < oh1; oh++)
                        Elementwise.Add(dst.Slice((oh + di) * wh + dj + lo, hi - lo), src.Slice(oh * g.OutW + lo, hi - lo));
                }
            }
            Merge(phases, g.InH, g.InW, dx.Slice(c * inPlane, inPlane));
        }
    }

    /// <summary>(a, d) with r = 2d + a and a ∈ {0, 1}, for r of either sign.</summary>
    private static (int Phase, int Offset) Phase(int r)
    {
        int a = r & 1;
        return (a, (r - a) >> 1);
    }

    /// <summary>
    /// The four phase planes of one channel, each ⌈H/2⌉ × ⌈W/2⌉ (entries past Ha, Wb are left as they are: never
    /// read): each row's even and odd columns, with the widest vectors of which two fit in a row (split by
    /// <see cref="ISimdWidth{V}.Even"/> and <see cref="ISimdWidth{V}.Odd"/>), the rest one at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Split(ReadOnlySpan<float> x, int h, int w, Span<float> phases)
    {
        fixed (float* px = x)
        fixed (float* pp = phases)
        {
            if (Vector512.IsHardwareAccelerated && w >= 2 * Simd512.Lanes) Split<Simd512, Vector512<float>>(px, h, w, pp);
            else if (Vector256.IsHardwareAccelerated && w >= 2 * Simd256.Lanes) Split<Simd256, Vector256<float>>(px, h, w, pp);
            else if (Vector128.IsHardwareAccelerated && w >= 2 * Simd128.Lanes) Split<Simd128, Vector128<float>>(px, h, w, pp);
            else Split<Simd128, Vector128<float>>(px, h, w, pp, vectors: false);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Split<S, V>(float* x, int h, int w, float* phases, bool vectors = true) where S : struct, ISimdWidth<V> where V : struct
    {
        int wh = (w + 1) / 2, plane = ((h + 1) / 2) * wh, l = S.Lanes;
        for (int r = 0; r < h; r++)
        {
            float* row = x + (long)r * w;
            int a = r & 1, t = r >> 1;
            float* even = phases + 2 * a * plane + t * wh;
            float* odd = even + plane;
            int u = 0;
            if (vectors)
                for (; 2 * (u + l) <= w; u += l)
                {
                    V lo = S.Load(row + 2 * u), hi = S.Load(row + 2 * u + l);
                    S.Store(even + u, S.Even(lo, hi));
                    S.Store(odd + u, S.Odd(lo, hi));
                }
            for (; 2 * u + 1 < w; u++) { even[u] = row[2 * u]; odd[u] = row[2 * u + 1]; }
            if (2 * u < w) even[u] = row[2 * u];
        }
    }

    /// <summary>dx[r, col] = the phase plane entry it came from: the inverse of <see cref="Split"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Merge(ReadOnlySpan<float> phases, int h, int w, Span<float> dx)
    {
        int wh = (w + 1) / 2, plane = ((h + 1) / 2) * wh;
        for (int r = 0; r < h; r++)
        {
            var row = dx.Slice(r * w, w);
            int a = r & 1, t = r >> 1;
            var even = phases.Slice(2 * a * plane + t * wh, wh);
            var odd = phases.Slice((2 * a + 1) * plane + t * wh, wh);
            int u = 0;
            for (; 2 * u + 1 < w; u++) { row[2 * u] = even[u]; row[2 * u + 1] = odd[u]; }
            if (2 * u < w) row[2 * u] = even[u];
        }
    }
}
