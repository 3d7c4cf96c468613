using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// An r×r, stride-1 convolution y[N, R, OH, OW] = conv(x[N, K, H, W], w) + b by Winograd F(m×m, r×r) (<typeparamref name="T"/>:
/// <see cref="WinogradF2x5"/> or <see cref="WinogradF4x3"/>), with the output cut into m×m tiles, numbered
/// t = (n·TH + ty)·TW + tx over the batch and processed in blocks of 32:
/// <code>
/// V[ξ][t][k] = (Bᵀ d_{t,k} B)[ξ]          d_{t,k}: the 6×6 window at (m·ty, m·tx) of channel k, zero-padded
/// Mᵀ[ξ] = V[ξ] · Uᵀ[ξ]                     U[ξ][r][k] = (G w_{r,k} Gᵀ)[ξ], packed once per weight change
/// y_{r,t} = Aᵀ M[·][t][r] A + b[r]
/// </code>
/// The input is first copied channels-last (<see cref="ChannelsLast"/>), so the transforms load 16 channels per
/// vector and V comes out row-major by tile, which <see cref="GemmMicroKernel.Tile8x32"/> reads unpacked.
/// A batch is split over the threads by images, each thread copying and transforming a few images at a time so
/// that its working set stays in L2; a batch too small for that (one image, for latency) is copied once and its
/// tile blocks are split over the threads instead. With <c>rotate</c> the weights are read as w[r][k] = rot180(weight[k][r]):
/// the input gradient of a convolution, dx = conv(dy padded by r − 1 − p, rot180(Wᵀ)).
/// </summary>
[SkipLocalsInit]
internal sealed unsafe class WinogradForward<T> : BatchParallelWork where T : struct, IWinogradTiles
{
    private const int Points = WinogradBasis.Points, Lanes = 16, MR = 8, NR = 32;
    /// <summary>Tiles per block: V and Mᵀ of the seed network's conv2 take 295 KB each.</summary>
    private const int TileBlock = 32;
    /// <summary>Images a thread copies and transforms at a time (4 · 49 tiles for conv2: 2 % of the GEMM rows wasted).</summary>
    private const int Group = 4;
    /// <summary>Tiles per block when the tiles are split over the threads: one micro-kernel row block, so one image's
    /// 49 tiles split 24 / 25 rather than 32 / 17.</summary>
    private const int SplitBlock = MR;
    /// <summary>Up to this many tiles past the last multiple of 8 go through the one-row kernel rather than an 8-row tile.</summary>
    private const int SingleRows = 2;
    /// <summary>Images copied at a time when the tiles, not the images, are split over the threads.</summary>
    private const int ChunkImages = 64;

    private enum Job { Images, Copy, Tiles }
    private Job _job;

    // Packed Uᵀ: [ξ][block of 32 rows][k][32], and the weights it was made from.
    private AlignedBuffer? _u;
    private float[] _uSource = [];
    private bool _uRotated;
    private int _uRows;
    private float[] _bias = [];
    // Per part: V [ξ][tile][kPad], Mᵀ [ξ][tile][rPad] and a channels-last frame of Group images; the shared frame
    // of a chunk when tiles are split.
    private AlignedBuffer?[] _v = [], _m = [], _partFrame = [];
    private AlignedBuffer? _frame;

    // The call in progress.
    private float[] _x = [], _y = [];
    private bool _hasBias;
    private ConvGeometry _g;
    private int _rows, _rPad, _kPad, _tilesH, _tilesW, _padH, _padW, _chunkStart, _chunkImages;

    /// <summary>Whether this algorithm can run geometry <paramref name="g"/> on this machine: r×r, stride 1, padding 0 to r − 1.</summary>
    public static bool Supports(in ConvGeometry g)
    {
        int r = T.Kernel;
        return GemmMicroKernel.Selected == GemmMicroKernel.Kind.Vector512 && Avx512F.IsSupported
            && g.KernelH == r && g.KernelW == r && g.StrideH == 1 && g.StrideW == 1
            && (uint)g.PadTop < r && (uint)g.PadBottom < r && (uint)g.PadLeft < r && (uint)g.PadRight < r;
    }

    /// <summary>
    /// y = conv(x, w) + bias for a batch; <paramref name="rows"/> output channels, <paramref name="g"/>.Channels input
    /// channels. Without <paramref name="rotate"/> the weight is [rows, K, r, r]; with it, [K, rows, r, r] rotated 180°.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(ComputeContext ctx, float[] x, float[] weight, bool rotate, float[]? bias, float[] y, int batch, int rows, in ConvGeometry g)
    {
        _g = g; _x = x; _y = y; _rows = rows;
        _rPad = (rows + NR - 1) / NR * NR;
        _kPad = (g.Channels + Lanes - 1) / Lanes * Lanes;
        int m = T.Out;
        _tilesH = (g.OutH + m - 1) / m; _tilesW = (g.OutW + m - 1) / m;
        _padH = m * _tilesH + T.Kernel - 1; _padW = m * _tilesW + T.Kernel - 1;
        TransformWeights(weight, rotate, rows, g.Channels);
        if (_bias.Length < _rPad) _bias = new float[_rPad];
        _hasBias = bias is not null;
        if (bias is not null) bias.AsSpan(0, rows).CopyTo(_bias);

        int threads = ctx.Threads;
        if (batch >= 2 * Group * threads || threads == 1)
        {
            PrepareParts(PartsFor(ctx, batch), Group);
            _job = Job.Images;
            RunOver(ctx, batch);
        }
        else
        {
            int chunk = Math.Min(batch, ChunkImages);
            AlignedBuffer.Ensure(ref _frame, chunk * FrameSize);
            for (int n0 = 0; n0 < batch; n0 += chunk)
            {
                _chunkStart = n0;
                _chunkImages = Math.Min(chunk, batch - n0);
                _job = Job.Copy;
                RunOver(ctx, _chunkImages);
                int blocks = (_chunkImages * _tilesH * _tilesW + SplitBlock - 1) / SplitBlock;
                PrepareParts(PartsFor(ctx, blocks), 0);
                _job = Job.Tiles;
                RunOver(ctx, blocks);
            }
        }
        _x = _y = [];
    }

    private long FrameSize => (long)_padH * _padW * _kPad;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Process(ComputeContext lane, int part, int start, int end)
    {
        var g = _g;
        switch (_job)
        {
            case Job.Images:
                int tilesPerImage = _tilesH * _tilesW;
                float* frame = _partFrame[part]!.Pointer;
                for (int n0 = start; n0 < end; n0 += Group)
                {
                    int images = Math.Min(Group, end - n0);
                    ChannelsLast.Copy(_x, n0, images, g.Channels, g.InH, g.InW, g.PadTop, g.PadLeft, _padH, _padW, _kPad, frame);
                    for (int t0 = 0; t0 < images * tilesPerImage; t0 += TileBlock)
                        ProcessBlock(part, frame, n0, t0, Math.Min(TileBlock, images * tilesPerImage - t0));
                }
                break;
            case Job.Copy:
                ChannelsLast.Copy(_x, _chunkStart + start, end - start, g.Channels, g.InH, g.InW, g.PadTop, g.PadLeft,
                    _padH, _padW, _kPad, _frame!.Pointer + start * FrameSize);
                break;
            case Job.Tiles:
                int tiles = _chunkImages * _tilesH * _tilesW;
                for (int b = start; b < end; b++)
                    ProcessBlock(part, _frame!.Pointer, _chunkStart, b * SplitBlock, Math.Min(SplitBlock, tiles - b * SplitBlock));
                break;
        }
    }

    // Uᵀ from the weights, unless they are bit for bit the ones it was made from (compared as integers, which is
    // vectorised: compared as floats it took a quarter of a one-image forward pass).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TransformWeights(float[] weight, bool rotate, int rows, int k)
    {
        int taps = T.Kernel * T.Kernel, count = rows * k * taps;
        var source = weight.AsSpan(0, count);
        if (_u is not null && _uRotated == rotate && _uRows == rows && _uSource.Length == count
            && MemoryMarshal.Cast<float, int>(source).SequenceEqual(MemoryMarshal.Cast<float, int>(_uSource.AsSpan())))
            return;
        int blocks = _rPad / NR;
        long size = (long)Points * _rPad * k;
        // Cleared when made: columns past the last row's 16-lane group are never written and must stay zero.
        if (_u is null || _u.Length < size) { AlignedBuffer.Ensure(ref _u, size); _u!.Clear(size); }
        float* u = _u.Pointer;
        Vector512<float>* g = stackalloc Vector512<float>[taps];
        int* lane = stackalloc int[Lanes];
        fixed (float* w = weight)
            for (int r0 = 0; r0 < rows; r0 += Lanes)
            {
                // Lane j holds kernel (r0 + j, c): at (r·k + c)·taps, or rotated at (c·rows + r)·taps (rows past the last repeat it).
                for (int j = 0; j < Lanes; j++)
                {
                    int r = Math.Min(r0 + j, rows - 1);
                    lane[j] = (rotate ? r : r * k) * taps;
                }
                var indexLo = Vector256.Load(lane);
                var indexHi = Vector256.Load(lane + 8);
                for (int c = 0; c < k; c++)
                {
                    float* first = w + (rotate ? (long)c * rows : c) * taps;
                    for (int e = 0; e < taps; e++)
                    {
                        float* at = first + (rotate ? taps - 1 - e : e);
                        g[e] = Vector512.Create(Avx2.GatherVector256(at, indexLo, 4), Avx2.GatherVector256(at, indexHi, 4));
                    }
                    // Uᵀ[ξ] of column block r0/32 is a k × 32 panel: row c, columns r0 % 32 ...
                    T.KernelTransform(g, u + ((long)(r0 / NR) * k + c) * NR + r0 % NR, (long)blocks * k * NR);
                }
            }
        if (_uSource.Length != count) _uSource = new float[count];
        source.CopyTo(_uSource);
        _uRotated = rotate; _uRows = rows;
    }

    private long VPlane => (long)TileBlock * _kPad + WinogradBasis.PlaneSkew;
    private long MPlane => (long)TileBlock * _rPad + WinogradBasis.PlaneSkew;

    private void PrepareParts(int parts, int frameImages)
    {
        if (_v.Length < parts) { Array.Resize(ref _v, parts); Array.Resize(ref _m, parts); Array.Resize(ref _partFrame, parts); }
        for (int p = 0; p < parts; p++)
        {
            if (frameImages > 0) AlignedBuffer.Ensure(ref _partFrame[p], frameImages * FrameSize);
            // Cleared when made: rows past the last tile of a batch enter the GEMM (their results are dropped).
            if (_v[p] is null || _v[p]!.Length < Points * VPlane) { AlignedBuffer.Ensure(ref _v[p], Points * VPlane); _v[p]!.Clear(Points * VPlane); }
            AlignedBuffer.Ensure(ref _m[p], Points * MPlane);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    // Tiles [t0, t0 + count) of the images in a channels-last frame, whose first is image firstImage of the batch.
    private void ProcessBlock(int part, float* frame, int firstImage, int t0, int count)
    {
        var g = _g;
        int k = g.Channels, rows = _rows, kPad = _kPad, rPad = _rPad, rBlocks = rPad / NR;
        int tilesPerImage = _tilesH * _tilesW, side = T.Out;
        long vPlane = VPlane, mPlane = MPlane;
        float* v = _v[part]!.Pointer, m = _m[part]!.Pointer, u = _u!.Pointer;
        Vector512<float>* scratch = stackalloc Vector512<float>[Points];

        // V = Bᵀ d B: tile by tile, 16 channels per vector.
        for (int tt = 0; tt < count; tt++)
        {
            int t = t0 + tt, n = t / tilesPerImage, r = t % tilesPerImage, ty = r / _tilesW, tx = r % _tilesW;
            float* window = frame + (((long)n * _padH + side * ty) * _padW + side * tx) * kPad;
            for (int c = 0; c < kPad; c += Lanes)
                WinogradBasis.InputTransform(window + c, (long)_padW * kPad, kPad, v + (long)tt * kPad + c, vPlane, scratch);
        }

        // Mᵀ[ξ] = V[ξ] · Uᵀ[ξ]: tiles × rows, in 8 × 32 tiles; the last few tiles of a block one by one.
        int fullRows = count / MR * MR, tileRows = count - fullRows <= SingleRows ? fullRows : count;
        for (int xi = 0; xi < Points; xi++)
            for (int rb = 0; rb < rBlocks; rb++)
            {
                float* uPanel = u + ((long)xi * rBlocks + rb) * k * NR, vPlane0 = v + xi * vPlane, mPlane0 = m + xi * mPlane + rb * NR;
                int tt = 0;
                for (; tt < tileRows; tt += MR)
                    GemmMicroKernel.Tile8x32(k, vPlane0 + (long)tt * kPad, kPad, 1, uPanel, mPlane0 + (long)tt * rPad, rPad, overwrite: true);
                for (; tt < count; tt++)
                    GemmMicroKernel.Tile1x32RowMajorA(k, vPlane0 + (long)tt * kPad, uPanel, mPlane0 + (long)tt * rPad, overwrite: true);
            }

        // y = Aᵀ M A + b, 16 output channels per vector. A run of up to 16 / m tiles along a tile row gives 16 vectors per
        // output row (pixel-major), which a 16×16 transpose turns into 16 channels' rows of 16 pixels, stored in place.
        Vector512<float>* rowsOut = stackalloc Vector512<float>[Lanes * side];
        int outW = g.OutW, outPlane = g.OutPlane;
        fixed (float* y = _y)
        fixed (float* biasAll = _bias)
            for (int tt = 0; tt < count;)
            {
                int t = t0 + tt, n = t / tilesPerImage, r = t % tilesPerImage, ty = r / _tilesW, tx = r % _tilesW;
                int run = Math.Min(Math.Min(Lanes / side, _tilesW - tx), count - tt);
                int width = Math.Min(side * run, outW - side * tx), height = Math.Min(side, g.OutH - side * ty);
                var mask = Transpose16x16.FirstLanes(width);
                float* yRow = y + (long)(firstImage + n) * rows * outPlane + side * ty * outW + side * tx;
                for (int o0 = 0; o0 < rows; o0 += Lanes)
                {
                    var bias = _hasBias ? Vector512.Load(biasAll + o0) : Vector512<float>.Zero;
                    for (int i = 0; i < run; i++)
                        T.OutputTransform(m + (long)(tt + i) * rPad + o0, mPlane, bias, rowsOut + side * i, Lanes);
                    // Entries past side·run are left as they are: they become lanes that are not stored.
                    int lanes = Math.Min(Lanes, rows - o0);
                    for (int a = 0; a < height; a++)
                    {
                        Vector512<float>* row = rowsOut + a * Lanes;
                        Transpose16x16.Transpose(row, row);
                        for (int j = 0; j < lanes; j++) Avx512F.MaskStore(yRow + (long)(o0 + j) * outPlane + a * outW, mask, row[j]);
                    }
                }
                tt += run;
            }
    }
}
