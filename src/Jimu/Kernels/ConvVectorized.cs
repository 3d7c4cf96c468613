using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// Direct convolution vectorised along output rows, for stride 1 and kernels up to <see cref="MaxKernelW"/> wide:
/// 16 output pixels of a row per vector, each multiply-add a broadcast weight times an unaligned load of the
/// zero-padded input, with 8 output channels in flight:
/// <code>
/// y[o][i][j..j+16]  = b[o] + Σ_{c,a,b} W[o][c][a][b] · xpad[c][i + a][j + b .. j + b + 16]
/// dW[o][c][a][b]    = Σ_{n,i,j} dY[o][i][j] · xpad[c][i + a][j + b]        (16 pixels per vector, summed at the end)
/// </code>
/// No patch matrix, and no GEMM whose depth would be only C·kh·kw: for layers with few input channels, such as a
/// network's first, where im2col's product is too shallow to run well. It computes no input gradient.
/// The batch is split over the threads by images (one image by rows); each part keeps its own 16-lane dW, and the
/// parts are summed in a fixed order, so results are deterministic for a given thread count.
/// </summary>
[SkipLocalsInit]
internal unsafe class ConvVectorized : BatchParallelWork
{
    private const int Lanes = 16, Group = 8;

    /// <summary>The widest kernel: the backward pass keeps one accumulator per kernel column.</summary>
    public const int MaxKernelW = 8;

    /// <summary>Output rows per work item when one image is split over the threads.</summary>
    private const int RowBlock = 4;

    private enum Job { Forward, ForwardRows, Backward }
    private Job _job;

    // W regrouped as [o / 8][c][a][b][o % 8], zero past the last output channel, so the 8 broadcasts of a step are adjacent.
    private float[] _wg = [];
    private float[] _bias = [];
    private AlignedBuffer?[] _frame = [], _dwv = [];
    private double[][] _db = [];

    private float[] _x = [], _y = [], _dy = [];
    private ConvGeometry _g;
    private int _outChannels, _groups, _frameH, _frameW, _chunks;
    private bool _hasBias;

    /// <summary>Whether geometry <paramref name="g"/> runs here: stride 1, a kernel at most 8 wide, AVX-512.</summary>
    public static bool Supports(in ConvGeometry g) =>
        Avx512F.IsSupported && g.StrideH == 1 && g.StrideW == 1 && g.KernelW <= MaxKernelW;

    /// <summary>y[N, O, OH, OW] = conv(x[N, C, H, W], W[O, C, kh, kw]) + bias.</summary>
    public void Forward(ComputeContext ctx, float[] x, float[] weight, float[]? bias, float[] y, int batch, int outChannels, in ConvGeometry g)
    {
        Require(g);
        Prepare(x, g, outChannels);
        _y = y;
        RegroupWeights(weight);
        _hasBias = bias is not null;
        if (_bias.Length < _groups * Group) _bias = new float[_groups * Group];
        if (bias is not null) bias.AsSpan(0, outChannels).CopyTo(_bias);

        if (batch == 1 && ctx.Threads > 1)
        {
            // One image (inference latency): pad it once, then split its rows over the threads.
            EnsureParts(1);
            PadImage(0, 0);
            _job = Job.ForwardRows;
            RunOver(ctx, (g.OutH + RowBlock - 1) / RowBlock);
        }
        else
        {
            EnsureParts(PartsFor(ctx, batch));
            _job = Job.Forward;
            RunOver(ctx, batch);
        }
        _x = _y = [];
    }

    /// <summary>Sets dW (and db when given) to the batch sums of the weight (and bias) gradients.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void BackwardWeights(ComputeContext ctx, float[] x, float[] dy, float[] dWeight, float[]? dBias, int batch, int outChannels, in ConvGeometry g)
    {
        Require(g);
        Prepare(x, g, outChannels);
        _dy = dy;
        int parts = PartsFor(ctx, batch);
        EnsureParts(parts);
        long dwvSize = DwvSize;
        for (int p = 0; p < parts; p++)
        {
            AlignedBuffer.Ensure(ref _dwv[p], dwvSize);
            _dwv[p]!.Clear(dwvSize);
            if (_db[p].Length < outChannels) _db[p] = new double[outChannels];
        }
        _job = Job.Backward;
        RunOver(ctx, batch);

        // dW = Σ over parts in order, each the sum of its 16 lanes.
        int taps = g.Channels * g.KernelH * g.KernelW;
        for (int o = 0; o < outChannels; o++)
            for (int r = 0; r < taps; r++)
            {
                float s = 0;
                for (int p = 0; p < parts; p++) s += Vector512.Sum(Vector512.Load(_dwv[p]!.Pointer + ((long)o * taps + r) * Lanes));
                dWeight[o * taps + r] = s;
            }
        if (dBias is not null)
            for (int o = 0; o < outChannels; o++)
            {
                double s = 0;
                for (int p = 0; p < parts; p++) s += _db[p][o];
                dBias[o] = (float)s;
            }
        _x = _dy = [];
    }

    private static void Require(in ConvGeometry g)
    {
        if (!Supports(g))
            throw new NotSupportedException(
                $"The vectorised direct convolution needs stride 1, a kernel at most {MaxKernelW} wide and AVX-512; got kernel {g.KernelH}x{g.KernelW}, stride {g.StrideH}x{g.StrideW}.");
    }

    private void Prepare(float[] x, in ConvGeometry g, int outChannels)
    {
        _x = x; _g = g; _outChannels = outChannels;
        _groups = (outChannels + Group - 1) / Group;
        _chunks = (g.OutW + Lanes - 1) / Lanes;
        _frameH = g.OutH + g.KernelH - 1;
        // Rows of whole cache lines, wide enough for the padded input (16·chunks + kw − 1 columns).
        _frameW = (_chunks * Lanes + g.KernelW - 1 + Lanes - 1) / Lanes * Lanes;
    }

    /// <summary>One copy of the padded image, C × frameH × frameW.</summary>
    private long ShiftedSize => (long)_g.Channels * _frameH * _frameW;

    /// <summary>
    /// kw copies of the padded image, copy b shifted left by b columns: xpad[c][r][j + b] = frame[b][c][r][j]. Every
    /// load of 16 pixels at column j0 + b is then a cache-line-aligned load at j0 of copy b; an unaligned 64-byte load
    /// always spans two lines, which made the weight gradient (one load per multiply-add) twice as slow.
    /// </summary>
    private long FrameSize => _g.KernelW * ShiftedSize;
    private long DwvSize => (long)_outChannels * _g.Channels * _g.KernelH * _g.KernelW * Lanes;

    private void EnsureParts(int parts)
    {
        if (_frame.Length < parts) { Array.Resize(ref _frame, parts); Array.Resize(ref _dwv, parts); Array.Resize(ref _db, parts); }
        for (int p = 0; p < parts; p++)
        {
            AlignedBuffer.Ensure(ref _frame[p], FrameSize);
            _db[p] ??= [];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RegroupWeights(float[] weight)
    {
        int taps = _g.Channels * _g.KernelH * _g.KernelW, size = _groups * taps * Group;
        if (_wg.Length < size) _wg = new float[size];
        Array.Clear(_wg, 0, size);
        for (int o = 0; o < _outChannels; o++)
            for (int r = 0; r < taps; r++)
                _wg[((o / Group) * taps + r) * Group + o % Group] = weight[o * taps + r];
    }

    /// <summary>Copies image <paramref name="image"/> into part <paramref name="part"/>'s frame: xpad[c][top + i][left + j] = x[c][i][j], zeros around.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PadImage(int part, int image)
    {
        var g = _g;
        float* frame = _frame[part]!.Pointer;
        new Span<float>(frame, checked((int)ShiftedSize)).Clear();
        fixed (float* x = _x)
            for (int c = 0; c < g.Channels; c++)
            {
                float* plane = x + ((long)image * g.Channels + c) * g.InH * g.InW;
                for (int i = 0; i < g.InH; i++)
                {
                    int fy = i + g.PadTop;
                    if (fy >= _frameH) break;
                    // Columns beyond the right padding are never read by a kept output; the frame is wide enough for them.
                    new ReadOnlySpan<float>(plane + (long)i * g.InW, Math.Min(g.InW, _frameW - g.PadLeft))
                        .CopyTo(new Span<float>(frame + ((long)c * _frameH + fy) * _frameW + g.PadLeft, _frameW - g.PadLeft));
                }
            }
        // The shifted copies, as far as loads reach (16·chunks columns).
        int width = _chunks * Lanes;
        long rows = (long)g.Channels * _frameH;
        for (int b = 1; b < g.KernelW; b++)
            for (long r = 0; r < rows; r++)
                new ReadOnlySpan<float>(frame + r * _frameW + b, width).CopyTo(new Span<float>(frame + b * ShiftedSize + r * _frameW, width));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Process(ComputeContext lane, int part, int start, int end)
    {
        switch (_job)
        {
            case Job.Forward:
                for (int n = start; n < end; n++)
                {
                    PadImage(part, n);
                    ForwardRows(_frame[part]!.Pointer, n, 0, _g.OutH);
                }
                break;
            case Job.ForwardRows:
                ForwardRows(_frame[0]!.Pointer, 0, start * RowBlock, Math.Min(_g.OutH, end * RowBlock));
                break;
            case Job.Backward:
                for (int n = start; n < end; n++)
                {
                    PadImage(part, n);
                    AccumulateWeightGradient(_frame[part]!.Pointer, n, _dwv[part]!.Pointer);
                }
                for (int o = 0; o < _outChannels; o++)
                {
                    double s = 0;
                    for (int n = start; n < end; n++) s += Elementwise.Sum(_dy.AsSpan((n * _outChannels + o) * _g.OutPlane, _g.OutPlane));
                    _db[part][o] = s;
                }
                break;
        }
    }

    /// <summary>Output rows [i0, i1) of image <paramref name="image"/>, from its padded frame.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ForwardRows(float* frame, int image, int i0, int i1)
    {
        var g = _g;
        int kh = g.KernelH, kw = g.KernelW, channels = g.Channels, outW = g.OutW, outPlane = g.OutPlane;
        int taps = channels * kh * kw;
        long frameW = _frameW, framePlane = (long)_frameH * _frameW, shift = ShiftedSize;
        fixed (float* wg = _wg)
        fixed (float* biasAll = _bias)
        fixed (float* y = _y)
            for (int i = i0; i < i1; i++)
                for (int chunk = 0; chunk < _chunks; chunk++)
                {
                    int j0 = chunk * Lanes;
                    var mask = Transpose16x16.FirstLanes(Math.Min(Lanes, outW - j0));
                    for (int grp = 0; grp < _groups; grp++)
                    {
                        float* bias = biasAll + grp * Group;
                        Vector512<float> a0 = Vector512.Create(bias[0]), a1 = Vector512.Create(bias[1]);
                        Vector512<float> a2 = Vector512.Create(bias[2]), a3 = Vector512.Create(bias[3]);
                        Vector512<float> a4 = Vector512.Create(bias[4]), a5 = Vector512.Create(bias[5]);
                        Vector512<float> a6 = Vector512.Create(bias[6]), a7 = Vector512.Create(bias[7]);
                        if (!_hasBias) a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = Vector512<float>.Zero;
                        float* w = wg + (long)grp * taps * Group;
                        for (int c = 0; c < channels; c++)
                            for (int a = 0; a < kh; a++)
                            {
                                float* row = frame + c * framePlane + (i + a) * frameW + j0;
                                for (int b = 0; b < kw; b++, w += Group)
                                {
                                    var xv = Vector512.LoadAligned(row + b * shift);
                                    a0 = Vector512.FusedMultiplyAdd(Vector512.Create(w[0]), xv, a0);
                                    a1 = Vector512.FusedMultiplyAdd(Vector512.Create(w[1]), xv, a1);
                                    a2 = Vector512.FusedMultiplyAdd(Vector512.Create(w[2]), xv, a2);
                                    a3 = Vector512.FusedMultiplyAdd(Vector512.Create(w[3]), xv, a3);
                                    a4 = Vector512.FusedMultiplyAdd(Vector512.Create(w[4]), xv, a4);
                                    a5 = Vector512.FusedMultiplyAdd(Vector512.Create(w[5]), xv, a5);
                                    a6 = Vector512.FusedMultiplyAdd(Vector512.Create(w[6]), xv, a6);
                                    a7 = Vector512.FusedMultiplyAdd(Vector512.Create(w[7]), xv, a7);
                                }
                            }
                        int o0 = grp * Group, count = Math.Min(Group, _outChannels - o0);
                        float* dst = y + ((long)image * _outChannels + o0) * outPlane + (long)i * outW + j0;
                        Avx512F.MaskStore(dst, mask, a0);
                        if (count > 1) Avx512F.MaskStore(dst + outPlane, mask, a1);
                        if (count > 2) Avx512F.MaskStore(dst + 2L * outPlane, mask, a2);
                        if (count > 3) Avx512F.MaskStore(dst + 3L * outPlane, mask, a3);
                        if (count > 4) Avx512F.MaskStore(dst + 4L * outPlane, mask, a4);
                        if (count > 5) Avx512F.MaskStore(dst + 5L * outPlane, mask, a5);
                        if (count > 6) Avx512F.MaskStore(dst + 6L * outPlane, mask, a6);
                        if (count > 7) Avx512F.MaskStore(dst + 7L * outPlane, mask, a7);
                    }
                }
    }

    /// <summary>
    /// <see cref="AccumulateWeightGradient"/> for one (o, c) of a 5×5 kernel with all 25 accumulators in registers:
    /// each 16 pixels of dY are loaded once for 25 multiply-adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate5x5(float* frame, long frameW, long shift, float* dy, int outH, int outW, float* acc)
    {
        Vector512<float> s00 = Vector512.Load(acc), s01 = Vector512.Load(acc + 16), s02 = Vector512.Load(acc + 32), s03 = Vector512.Load(acc + 48), s04 = Vector512.Load(acc + 64);
        Vector512<float> s10 = Vector512.Load(acc + 80), s11 = Vector512.Load(acc + 96), s12 = Vector512.Load(acc + 112), s13 = Vector512.Load(acc + 128), s14 = Vector512.Load(acc + 144);
        Vector512<float> s20 = Vector512.Load(acc + 160), s21 = Vector512.Load(acc + 176), s22 = Vector512.Load(acc + 192), s23 = Vector512.Load(acc + 208), s24 = Vector512.Load(acc + 224);
        Vector512<float> s30 = Vector512.Load(acc + 240), s31 = Vector512.Load(acc + 256), s32 = Vector512.Load(acc + 272), s33 = Vector512.Load(acc + 288), s34 = Vector512.Load(acc + 304);
        Vector512<float> s40 = Vector512.Load(acc + 320), s41 = Vector512.Load(acc + 336), s42 = Vector512.Load(acc + 352), s43 = Vector512.Load(acc + 368), s44 = Vector512.Load(acc + 384);
        for (int i = 0; i < outH; i++)
            for (int j0 = 0; j0 < outW; j0 += Lanes)
            {
                // Lanes past the row's end load as zeros, so they add nothing.
                var d = Avx512F.MaskLoad(dy + (long)i * outW + j0, Transpose16x16.FirstLanes(outW - j0), Vector512<float>.Zero);
                float* x = frame + i * frameW + j0;
                s00 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x), s00); s01 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 1 * shift), s01);
                s02 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 2 * shift), s02); s03 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 3 * shift), s03);
                s04 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 4 * shift), s04);
                x += frameW;
                s10 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x), s10); s11 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 1 * shift), s11);
                s12 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 2 * shift), s12); s13 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 3 * shift), s13);
                s14 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 4 * shift), s14);
                x += frameW;
                s20 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x), s20); s21 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 1 * shift), s21);
                s22 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 2 * shift), s22); s23 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 3 * shift), s23);
                s24 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 4 * shift), s24);
                x += frameW;
                s30 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x), s30); s31 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 1 * shift), s31);
                s32 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 2 * shift), s32); s33 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 3 * shift), s33);
                s34 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 4 * shift), s34);
                x += frameW;
                s40 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x), s40); s41 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 1 * shift), s41);
                s42 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 2 * shift), s42); s43 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 3 * shift), s43);
                s44 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 4 * shift), s44);
            }
        s00.Store(acc); s01.Store(acc + 16); s02.Store(acc + 32); s03.Store(acc + 48); s04.Store(acc + 64);
        s10.Store(acc + 80); s11.Store(acc + 96); s12.Store(acc + 112); s13.Store(acc + 128); s14.Store(acc + 144);
        s20.Store(acc + 160); s21.Store(acc + 176); s22.Store(acc + 192); s23.Store(acc + 208); s24.Store(acc + 224);
        s30.Store(acc + 240); s31.Store(acc + 256); s32.Store(acc + 272); s33.Store(acc + 288); s34.Store(acc + 304);
        s40.Store(acc + 320); s41.Store(acc + 336); s42.Store(acc + 352); s43.Store(acc + 368); s44.Store(acc + 384);
    }

    /// <summary>dWv[o][c][a][b] (16 lanes) += Σ_{i,j} dY[image][o][i][j] · xpad[c][i + a][j + b], lanes along j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AccumulateWeightGradient(float* frame, int image, float* dwv)
    {
        var g = _g;
        int kh = g.KernelH, kw = g.KernelW, channels = g.Channels, outW = g.OutW, outH = g.OutH, outPlane = g.OutPlane;
        long frameW = _frameW, framePlane = (long)_frameH * _frameW, shift = ShiftedSize;
        fixed (float* dyAll = _dy)
            for (int o = 0; o < _outChannels; o++)
            {
                float* dy = dyAll + ((long)image * _outChannels + o) * outPlane;
                if (kh == 5 && kw == 5)
                {
                    for (int c = 0; c < channels; c++)
                        Accumulate5x5(frame + c * framePlane, frameW, shift, dy, outH, outW, dwv + ((long)o * channels + c) * 25 * Lanes);
                    continue;
                }
                for (int c = 0; c < channels; c++)
                    for (int a = 0; a < kh; a++)
                    {
                        // One accumulator per kernel column b; those past kw stay zero and are not stored.
                        float* acc = dwv + ((((long)o * channels + c) * kh + a) * kw) * Lanes;
                        Vector512<float> s0 = Vector512.Load(acc), s1 = default, s2 = default, s3 = default;
                        Vector512<float> s4 = default, s5 = default, s6 = default, s7 = default;
                        if (kw > 1) s1 = Vector512.Load(acc + Lanes);
                        if (kw > 2) s2 = Vector512.Load(acc + 2 * Lanes);
                        if (kw > 3) s3 = Vector512.Load(acc + 3 * Lanes);
                        if (kw > 4) s4 = Vector512.Load(acc + 4 * Lanes);
                        if (kw > 5) s5 = Vector512.Load(acc + 5 * Lanes);
                        if (kw > 6) s6 = Vector512.Load(acc + 6 * Lanes);
                        if (kw > 7) s7 = Vector512.Load(acc + 7 * Lanes);
                        for (int i = 0; i < outH; i++)
                        {
                            float* row = frame + c * framePlane + (i + a) * frameW;
                            for (int j0 = 0; j0 < outW; j0 += Lanes)
                            {
                                // Lanes past the row's end load as zeros, so they add nothing.
                                var d = Avx512F.MaskLoad(dy + (long)i * outW + j0, Transpose16x16.FirstLanes(outW - j0), Vector512<float>.Zero);
                                float* x = row + j0;
                                s0 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x), s0);
                                if (kw > 1) s1 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 1 * shift), s1);
                                if (kw > 2) s2 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 2 * shift), s2);
                                if (kw > 3) s3 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 3 * shift), s3);
                                if (kw > 4) s4 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 4 * shift), s4);
                                if (kw > 5) s5 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 5 * shift), s5);
                                if (kw > 6) s6 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 6 * shift), s6);
                                if (kw > 7) s7 = Vector512.FusedMultiplyAdd(d, Vector512.LoadAligned(x + 7 * shift), s7);
                            }
                        }
                        s0.Store(acc);
                        if (kw > 1) s1.Store(acc + Lanes);
                        if (kw > 2) s2.Store(acc + 2 * Lanes);
                        if (kw > 3) s3.Store(acc + 3 * Lanes);
                        if (kw > 4) s4.Store(acc + 4 * Lanes);
                        if (kw > 5) s5.Store(acc + 5 * Lanes);
                        if (kw > 6) s6.Store(acc + 6 * Lanes);
                        if (kw > 7) s7.Store(acc + 7 * Lanes);
                    }
            }
    }
}
