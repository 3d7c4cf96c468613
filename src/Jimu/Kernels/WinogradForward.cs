using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// A 5×5, stride-1 convolution y[N, R, OH, OW] = conv(x[N, K, H, W], w) + b by <see cref="WinogradF2x5"/>, with the
/// output cut into 2×2 tiles, numbered t = (n·TH + ty)·TW + tx over the batch and processed in blocks of 32:
/// <code>
/// V[ξ][t][k] = (Bᵀ d_{t,k} B)[ξ]          d_{t,k}: the 6×6 window at (2ty, 2tx) of channel k, zero-padded
/// Mᵀ[ξ] = V[ξ] · Uᵀ[ξ]                     U[ξ][r][k] = (G w_{r,k} Gᵀ)[ξ], packed once per weight change
/// y_{r,t} = Aᵀ M[·][t][r] A + b[r]
/// </code>
/// The input is first copied channels-last (<see cref="ChannelsLast"/>), so the transforms load 16 channels per
/// vector and V comes out row-major by tile, which <see cref="GemmMicroKernel.Tile{S, V}"/> reads unpacked.
/// A batch is split over the threads by images, each thread copying and transforming a few images at a time so
/// that its working set stays in L2; a batch too small for that (one image, for latency) is copied once and its
/// tile blocks are split over the threads instead. With <c>rotate</c> the weights are read as w[r][k] = rot180(weight[k][r]):
/// the input gradient of a convolution, dx = conv(dy padded by 4 − p, rot180(Wᵀ)).
/// </summary>
[SkipLocalsInit]
internal sealed unsafe class WinogradForward : BatchParallelWork
{
    private const int Points = WinogradF2x5.Points;
    /// <summary>Channels per vector, and the micro-kernel's tile: the width <see cref="GemmMicroKernel"/> runs at.</summary>
    private static readonly int Lanes = GemmMicroKernel.NarrowNR, MR = GemmMicroKernel.MR, NR = GemmMicroKernel.NR;
    /// <summary>Tiles per block, a whole number of micro-kernel rows: V and Mᵀ of the seed network's conv2 take 295 KB each.</summary>
    private static readonly int TileBlock = (32 + MR - 1) / MR * MR;
    /// <summary>Images a thread copies and transforms at a time (4 · 49 tiles for conv2: 2 % of the GEMM rows wasted).</summary>
    private const int Group = 4;
    /// <summary>Tiles per block when the tiles are split over the threads: one micro-kernel row block, so one image's
    /// 49 tiles split 24 / 25 rather than 32 / 17.</summary>
    private static readonly int SplitBlock = MR;
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

    /// <summary>Whether this algorithm can run geometry <paramref name="g"/> on this machine.</summary>
    public static bool Supports(in ConvGeometry g) =>
        GemmMicroKernel.Selected != GemmMicroKernel.Kind.Scalar
        && g.KernelH == 5 && g.KernelW == 5 && g.StrideH == 1 && g.StrideW == 1
        && g.PadTop is >= 0 and <= 4 && g.PadBottom is >= 0 and <= 4 && g.PadLeft is >= 0 and <= 4 && g.PadRight is >= 0 and <= 4;

    /// <summary>
    /// y = conv(x, w) + bias for a batch; <paramref name="rows"/> output channels, <paramref name="g"/>.Channels input
    /// channels. Without <paramref name="rotate"/> the weight is [rows, K, 5, 5]; with it, [K, rows, 5, 5] rotated 180°.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float[] x, float[] weight, bool rotate, float[]? bias, float[] y, int batch, int rows, in ConvGeometry g)
    {
        _g = g; _x = x; _y = y; _rows = rows;
        _rPad = (rows + NR - 1) / NR * NR;
        _kPad = (g.Channels + Lanes - 1) / Lanes * Lanes;
        _tilesH = (g.OutH + 1) / 2; _tilesW = (g.OutW + 1) / 2;
        _padH = 2 * _tilesH + 4; _padW = 2 * _tilesW + 4;
        TransformWeights(weight, rotate, rows, g.Channels);
        if (_bias.Length < _rPad) _bias = new float[_rPad];
        _hasBias = bias is not null;
        if (bias is not null) bias.AsSpan(0, rows).CopyTo(_bias);

        int threads = Parallelism.Threads;
        if (batch >= 2 * Group * threads || threads == 1)
        {
            PrepareParts(PartsFor(batch), Group);
            _job = Job.Images;
            RunOver(batch);
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
                RunOver(_chunkImages);
                int blocks = (_chunkImages * _tilesH * _tilesW + SplitBlock - 1) / SplitBlock;
                PrepareParts(PartsFor(blocks), 0);
                _job = Job.Tiles;
                RunOver(blocks);
            }
        }
        _x = _y = [];
    }

    private long FrameSize => (long)_padH * _padW * _kPad;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Process(int part, int start, int end)
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
                        Block(part, frame, n0, t0, Math.Min(TileBlock, images * tilesPerImage - t0));
                }
                break;
            case Job.Copy:
                ChannelsLast.Copy(_x, _chunkStart + start, end - start, g.Channels, g.InH, g.InW, g.PadTop, g.PadLeft,
                    _padH, _padW, _kPad, _frame!.Pointer + start * FrameSize);
                break;
            case Job.Tiles:
                int tiles = _chunkImages * _tilesH * _tilesW;
                for (int b = start; b < end; b++)
                    Block(part, _frame!.Pointer, _chunkStart, b * SplitBlock, Math.Min(SplitBlock, tiles - b * SplitBlock));
                break;
        }
    }

    // Uᵀ from the weights, unless they are bit for bit the ones it was made from (compared as integers, which is
    // vectorised: compared as floats it took a quarter of a one-image forward pass).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TransformWeights(float[] weight, bool rotate, int rows, int k)
    {
        int count = rows * k * 25;
        var source = weight.AsSpan(0, count);
        if (_u is not null && _uRotated == rotate && _uRows == rows && _uSource.Length == count
            && MemoryMarshal.Cast<float, int>(source).SequenceEqual(MemoryMarshal.Cast<float, int>(_uSource.AsSpan())))
            return;
        int blocks = _rPad / NR;
        long size = (long)Points * _rPad * k;
        // Cleared when made: columns past the last row's 16-lane group are never written and must stay zero.
        if (_u is null || _u.Length < size) { AlignedBuffer.Ensure(ref _u, size); _u!.Clear(size); }
        fixed (float* w = weight)
            switch (GemmMicroKernel.Selected)
            {
                case GemmMicroKernel.Kind.Vector512: TransformWeights<Simd512, Vector512<float>>(w, rotate, rows, k, _u.Pointer, blocks); break;
                case GemmMicroKernel.Kind.Vector256: TransformWeights<Simd256, Vector256<float>>(w, rotate, rows, k, _u.Pointer, blocks); break;
                default: TransformWeights<Simd128, Vector128<float>>(w, rotate, rows, k, _u.Pointer, blocks); break;
            }
        if (_uSource.Length != count) _uSource = new float[count];
        source.CopyTo(_uSource);
        _uRotated = rotate; _uRows = rows;
    }

    private void Block(int part, float* frame, int firstImage, int t0, int count)
    {
        switch (GemmMicroKernel.Selected)
        {
            case GemmMicroKernel.Kind.Vector512: ProcessBlock<Simd512, Vector512<float>>(part, frame, firstImage, t0, count); break;
            case GemmMicroKernel.Kind.Vector256: ProcessBlock<Simd256, Vector256<float>>(part, frame, firstImage, t0, count); break;
            default: ProcessBlock<Simd128, Vector128<float>>(part, frame, firstImage, t0, count); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformWeights<S, V>(float* w, bool rotate, int rows, int k, float* u, int blocks)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        int lanes = S.Lanes;
        V* g = stackalloc V[25];
        int* lane = stackalloc int[lanes];
        float* gathered = stackalloc float[lanes];
        for (int r0 = 0; r0 < rows; r0 += lanes)
        {
            // Lane j holds kernel (r0 + j, c): at (r·k + c)·25, or rotated at (c·rows + r)·25 (rows past the last repeat it).
            for (int j = 0; j < lanes; j++)
            {
                int r = Math.Min(r0 + j, rows - 1);
                lane[j] = (rotate ? r : r * k) * 25;
            }
            for (int c = 0; c < k; c++)
            {
                float* first = w + (rotate ? (long)c * rows : c) * 25;
                for (int e = 0; e < 25; e++)
                {
                    float* at = first + (rotate ? 24 - e : e);
                    for (int j = 0; j < lanes; j++) gathered[j] = at[lane[j]];
                    g[e] = S.Load(gathered);
                }
                // Uᵀ[ξ] of column block r0/NR is a k × NR panel: row c, columns r0 % NR ...
                WinogradF2x5.KernelTransform<S, V>(g, u + ((long)(r0 / (2 * lanes)) * k + c) * 2 * lanes + r0 % (2 * lanes), (long)blocks * k * 2 * lanes);
            }
        }
    }

    private long VPlane => (long)TileBlock * _kPad + WinogradF2x5.PlaneSkew;
    private long MPlane => (long)TileBlock * _rPad + WinogradF2x5.PlaneSkew;

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

    // Tiles [t0, t0 + count) of the images in a channels-last frame, whose first is image firstImage of the batch.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ProcessBlock<S, V>(int part, float* frame, int firstImage, int t0, int count)
        where S : struct, ISimdWidth<V> where V : unmanaged
    {
        var g = _g;
        int k = g.Channels, kPad = _kPad, rPad = _rPad, rBlocks = rPad / NR, lanes = S.Lanes;
        int tilesPerImage = _tilesH * _tilesW;
        long vPlane = VPlane, mPlane = MPlane;
        float* v = _v[part]!.Pointer, m = _m[part]!.Pointer, u = _u!.Pointer;
        V* scratch = stackalloc V[Points];

        // V = Bᵀ d B: tile by tile, a vector of channels at a time.
        for (int tt = 0; tt < count; tt++)
        {
            int t = t0 + tt, n = t / tilesPerImage, r = t % tilesPerImage, ty = r / _tilesW, tx = r % _tilesW;
            float* window = frame + (((long)n * _padH + 2 * ty) * _padW + 2 * tx) * kPad;
            for (int c = 0; c < kPad; c += lanes)
                WinogradF2x5.InputTransform<S, V>(window + c, (long)_padW * kPad, kPad, v + (long)tt * kPad + c, vPlane, scratch);
        }

        // Mᵀ[ξ] = V[ξ] · Uᵀ[ξ]: tiles × rows, in MR × NR tiles; the last few tiles of a block one by one.
        int fullRows = count / MR * MR, tileRows = count - fullRows <= SingleRows ? fullRows : count;
        for (int xi = 0; xi < Points; xi++)
            for (int rb = 0; rb < rBlocks; rb++)
            {
                float* uPanel = u + ((long)xi * rBlocks + rb) * k * NR, vPlane0 = v + xi * vPlane, mPlane0 = m + xi * mPlane + rb * NR;
                int tt = 0;
                for (; tt < tileRows; tt += MR)
                    GemmMicroKernel.Tile<S, V>(k, vPlane0 + (long)tt * kPad, kPad, 1, uPanel, mPlane0 + (long)tt * rPad, rPad, overwrite: true);
                for (; tt < count; tt++)
                    GemmMicroKernel.TileRow<S, V>(k, vPlane0 + (long)tt * kPad, uPanel, mPlane0 + (long)tt * rPad, overwrite: true);
            }

        if (typeof(V) == typeof(Vector512<float>) && Transpose16x16.IsSupported) OutputTransposed(m, firstImage, t0, count);
        else Output<S, V>(m, firstImage, t0, count);
    }

    /// <summary>
    /// y = Aᵀ M A + b for tiles [t0, t0 + count), a vector of output channels at a time, each tile's four pixels of
    /// each channel stored one by one (the output is a small part of the work; see <see cref="OutputTransposed"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Output<S, V>(float* m, int firstImage, int t0, int count) where S : struct, ISimdWidth<V> where V : unmanaged
    {
        var g = _g;
        int rows = _rows, rPad = _rPad, lanes = S.Lanes, tilesPerImage = _tilesH * _tilesW, outW = g.OutW, outPlane = g.OutPlane;
        long mPlane = MPlane;
        float* pixels = stackalloc float[4 * lanes];
        fixed (float* y = _y)
        fixed (float* biasAll = _bias)
            for (int tt = 0; tt < count; tt++)
            {
                int t = t0 + tt, n = t / tilesPerImage, r = t % tilesPerImage, ty = r / _tilesW, tx = r % _tilesW;
                bool right = 2 * tx + 1 < outW, down = 2 * ty + 1 < g.OutH;
                float* yTile = y + (long)(firstImage + n) * rows * outPlane + 2 * ty * outW + 2 * tx;
                for (int o0 = 0; o0 < rows; o0 += lanes)
                {
                    var bias = _hasBias ? S.Load(biasAll + o0) : S.Zero;
                    WinogradF2x5.OutputTransform<S, V>(m + (long)tt * rPad + o0, mPlane, out var y00, out var y01, out var y10, out var y11);
                    S.Store(pixels, S.Add(y00, bias)); S.Store(pixels + lanes, S.Add(y01, bias));
                    S.Store(pixels + 2 * lanes, S.Add(y10, bias)); S.Store(pixels + 3 * lanes, S.Add(y11, bias));
                    int channels = Math.Min(lanes, rows - o0);
                    for (int j = 0; j < channels; j++)
                    {
                        float* at = yTile + (long)(o0 + j) * outPlane;
                        at[0] = pixels[j];
                        if (right) at[1] = pixels[lanes + j];
                        if (!down) continue;
                        at[outW] = pixels[2 * lanes + j];
                        if (right) at[outW + 1] = pixels[3 * lanes + j];
                    }
                }
            }
    }

    /// <summary>
    /// y = Aᵀ M A + b with AVX-512, 16 output channels per vector. A run of up to 8 tiles along a tile row gives 16
    /// vectors per output row (pixel-major), which a 16×16 transpose turns into 16 channels' rows of 16 pixels, stored
    /// in place with masked stores.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OutputTransposed(float* m, int firstImage, int t0, int count)
    {
        const int Lanes = 16;
        var g = _g;
        int rows = _rows, rPad = _rPad, tilesPerImage = _tilesH * _tilesW;
        long mPlane = MPlane;
        Vector512<float>* upper = stackalloc Vector512<float>[Lanes];
        Vector512<float>* lower = stackalloc Vector512<float>[Lanes];
        int outW = g.OutW, outPlane = g.OutPlane;
        fixed (float* y = _y)
        fixed (float* biasAll = _bias)
            for (int tt = 0; tt < count;)
            {
                int t = t0 + tt, n = t / tilesPerImage, r = t % tilesPerImage, ty = r / _tilesW, tx = r % _tilesW;
                int run = Math.Min(Math.Min(Lanes / 2, _tilesW - tx), count - tt);
                int width = Math.Min(2 * run, outW - 2 * tx);
                bool down = 2 * ty + 1 < g.OutH;
                var mask = Transpose16x16.FirstLanes(width);
                float* yRow = y + (long)(firstImage + n) * rows * outPlane + 2 * ty * outW + 2 * tx;
                for (int o0 = 0; o0 < rows; o0 += Lanes)
                {
                    var bias = _hasBias ? Vector512.Load(biasAll + o0) : Vector512<float>.Zero;
                    for (int i = 0; i < run; i++)
                    {
                        WinogradF2x5.OutputTransform<Simd512, Vector512<float>>(m + (long)(tt + i) * rPad + o0, mPlane, out var y00, out var y01, out var y10, out var y11);
                        upper[2 * i] = y00 + bias; upper[2 * i + 1] = y01 + bias;
                        lower[2 * i] = y10 + bias; lower[2 * i + 1] = y11 + bias;
                    }
                    // Entries past 2·run are left as they are: they become lanes that are not stored.
                    int lanes = Math.Min(Lanes, rows - o0);
                    Transpose16x16.Transpose(upper, upper);
                    for (int j = 0; j < lanes; j++) Avx512F.MaskStore(yRow + (long)(o0 + j) * outPlane, mask, upper[j]);
                    if (!down) continue;
                    Transpose16x16.Transpose(lower, lower);
                    for (int j = 0; j < lanes; j++) Avx512F.MaskStore(yRow + (long)(o0 + j) * outPlane + outW, mask, lower[j]);
                }
                tt += run;
            }
    }
}
