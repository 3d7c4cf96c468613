using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Jimu.Kernels;

/// <summary>
/// A 5×5, stride-1 convolution y[N, R, OH, OW] = conv(x[N, K, H, W], w) + b by <see cref="WinogradF2x5"/>, with the
/// output cut into 2×2 tiles, numbered t = (n·TH + ty)·TW + tx over the batch and processed in strips of 32
/// (one micro-kernel width; the last strip is padded). For each strip:
/// <code>
/// V[ξ][k][t] = (Bᵀ d_{k,t} B)[ξ]        d_{k,t}: the 6×6 window at (2ty, 2tx) of the zero-padded channel k (gathered)
/// M[ξ] = U[ξ] · V[ξ]                     U[ξ][r][k] = (G w_{r,k} Gᵀ)[ξ], packed once per weight change
/// y_{r,t} = Aᵀ M[·][r][t] A + b[r]
/// </code>
/// Strips are independent, so they are split over the threads, which also splits a single image. The batch is
/// padded in chunks of images to bound the padded copy. With <c>rotate</c> the weights are read as
/// w[r][k] = rot180(weight[k][r]): the input gradient of a convolution, dx = conv(dy padded by 4 − p, rot180(Wᵀ)).
/// </summary>
internal sealed unsafe class WinogradForward : BatchParallelWork
{
    private const int Strip = 32, Lanes = 16, Points = WinogradF2x5.Points, MR = 8;
    /// <summary>Images padded at a time.</summary>
    private const int ChunkImages = 64;

    private enum Job { Pad, Strips }
    private Job _job;

    // Packed U: [ξ][row block of 8][k][8 rows], and the weights it was made from.
    private AlignedBuffer? _u;
    private float[] _uSource = [];
    private bool _uRotated;
    private int _uRows;
    // Per part: V [ξ][k][32], M [ξ][rows padded to 8][32], and the lane tables of the strip in hand.
    private AlignedBuffer?[] _v = [], _m = [];
    private int[][] _laneIn = [], _laneOut = [], _laneEdge = [];
    private float[] _xpad = [];

    // The call in progress.
    private float[] _x = [], _y = [];
    private float[]? _bias;
    private ConvGeometry _g;
    private int _rows, _rowsPadded, _tilesH, _tilesW, _padH, _padW, _chunkStart, _chunkImages;

    /// <summary>Whether this algorithm can run geometry <paramref name="g"/> on this machine.</summary>
    public static bool Supports(in ConvGeometry g) =>
        GemmMicroKernel.Selected == GemmMicroKernel.Kind.Vector512 && GemmMicroKernel.NR == Strip && GemmMicroKernel.MR == MR
        && Avx2.IsSupported
        && g.KernelH == 5 && g.KernelW == 5 && g.StrideH == 1 && g.StrideW == 1
        && g.PadTop is >= 0 and <= 4 && g.PadBottom is >= 0 and <= 4 && g.PadLeft is >= 0 and <= 4 && g.PadRight is >= 0 and <= 4;

    /// <summary>
    /// y = conv(x, w) + bias for a batch; <paramref name="rows"/> output channels, <paramref name="g"/>.Channels input
    /// channels. Without <paramref name="rotate"/> the weight is [rows, K, 5, 5]; with it, [K, rows, 5, 5] rotated 180°.
    /// </summary>
    public void Run(float[] x, float[] weight, bool rotate, float[]? bias, float[] y, int batch, int rows, in ConvGeometry g)
    {
        _g = g; _x = x; _y = y; _bias = bias; _rows = rows;
        _rowsPadded = (rows + MR - 1) / MR * MR;
        _tilesH = (g.OutH + 1) / 2; _tilesW = (g.OutW + 1) / 2;
        _padH = 2 * _tilesH + 4; _padW = 2 * _tilesW + 4;
        TransformWeights(weight, rotate, rows, g.Channels);

        int chunk = Math.Min(batch, ChunkImages);
        long padSize = (long)chunk * g.Channels * _padH * _padW;
        if (_xpad.Length < padSize) _xpad = new float[padSize];
        for (int n0 = 0; n0 < batch; n0 += chunk)
        {
            _chunkStart = n0;
            _chunkImages = Math.Min(chunk, batch - n0);
            _job = Job.Pad;
            RunOver(_chunkImages);
            int strips = (_chunkImages * _tilesH * _tilesW + Strip - 1) / Strip;
            PrepareParts(PartsFor(strips), g.Channels);
            _job = Job.Strips;
            RunOver(strips);
        }
        _x = _y = []; _bias = null;
    }

    protected override void Process(int part, int start, int end)
    {
        if (_job == Job.Pad) Pad(start, end);
        else for (int s = start; s < end; s++) ProcessStrip(part, s);
    }

    // U from the weights, unless they are the ones U was made from.
    private void TransformWeights(float[] weight, bool rotate, int rows, int k)
    {
        int count = rows * k * 25;
        var source = weight.AsSpan(0, count);
        if (_u is not null && _uRotated == rotate && _uRows == rows && _uSource.Length == count && source.SequenceEqual(_uSource))
            return;
        int blocks = _rowsPadded / MR;
        float* u = AlignedBuffer.Ensure(ref _u, (long)Points * _rowsPadded * k);
        _u!.Clear((long)Points * _rowsPadded * k);
        fixed (float* w = weight)
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < k; c++)
                {
                    float* kernel = w + (rotate ? (long)c * rows + r : (long)r * k + c) * 25;
                    // U[ξ] of block r/8 is a k × 8 panel: element (c, r % 8).
                    WinogradF2x5.KernelTransform(kernel, rotate, u + ((long)(r / MR) * k + c) * MR + r % MR, blocks * k * MR);
                }
        if (_uSource.Length != count) _uSource = new float[count];
        source.CopyTo(_uSource);
        _uRotated = rotate; _uRows = rows;
    }

    private void PrepareParts(int parts, int k)
    {
        if (_v.Length < parts)
        {
            Array.Resize(ref _v, parts); Array.Resize(ref _m, parts);
            Array.Resize(ref _laneIn, parts); Array.Resize(ref _laneOut, parts); Array.Resize(ref _laneEdge, parts);
        }
        for (int p = 0; p < parts; p++)
        {
            AlignedBuffer.Ensure(ref _v[p], (long)Points * k * Strip);
            AlignedBuffer.Ensure(ref _m[p], (long)Points * _rowsPadded * Strip);
            _laneIn[p] ??= new int[Strip]; _laneOut[p] ??= new int[Strip]; _laneEdge[p] ??= new int[Strip];
        }
    }

    // Images [start, end) of the chunk into the zero-padded copy, channel by channel.
    private void Pad(int start, int end)
    {
        var g = _g;
        int plane = _padH * _padW;
        for (int n = start; n < end; n++)
            for (int c = 0; c < g.Channels; c++)
            {
                var dst = _xpad.AsSpan((n * g.Channels + c) * plane, plane);
                dst.Clear();
                var src = _x.AsSpan(((_chunkStart + n) * g.Channels + c) * g.InH * g.InW, g.InH * g.InW);
                for (int i = 0; i < g.InH; i++)
                    src.Slice(i * g.InW, g.InW).CopyTo(dst.Slice((i + g.PadTop) * _padW + g.PadLeft));
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ProcessStrip(int part, int strip)
    {
        var g = _g;
        int k = g.Channels, rows = _rows, blocks = _rowsPadded / MR;
        int tilesPerImage = _tilesH * _tilesW, tiles = _chunkImages * tilesPerImage;
        int outPlane = g.OutPlane, plane = _padH * _padW;
        int[] laneIn = _laneIn[part], laneOut = _laneOut[part], laneEdge = _laneEdge[part];
        for (int j = 0; j < Strip; j++)
        {
            int t = strip * Strip + j;
            if (t >= tiles) { laneIn[j] = 0; laneOut[j] = -1; continue; }
            int n = t / tilesPerImage, r = t % tilesPerImage, ty = r / _tilesW, tx = r % _tilesW;
            laneIn[j] = n * k * plane + 2 * ty * _padW + 2 * tx;
            laneOut[j] = (_chunkStart + n) * rows * outPlane + 2 * ty * g.OutW + 2 * tx;
            laneEdge[j] = (2 * ty + 1 < g.OutH ? 1 : 0) | (2 * tx + 1 < g.OutW ? 2 : 0);
        }

        float* v = _v[part]!.Pointer, m = _m[part]!.Pointer, u = _u!.Pointer;
        Vector512<float>* block = stackalloc Vector512<float>[Points];
        fixed (float* xpad = _xpad)
        fixed (int* lanes = laneIn)
        {
            // V = Bᵀ d B for every input channel, 16 tiles per vector.
            for (int h = 0; h < Strip; h += Lanes)
            {
                var indexLo = Vector256.Load(lanes + h);
                var indexHi = Vector256.Load(lanes + h + 8);
                for (int c = 0; c < k; c++)
                {
                    float* channel = xpad + (long)c * plane;
                    for (int i = 0; i < 6; i++)
                        for (int jj = 0; jj < 6; jj++)
                        {
                            float* at = channel + i * _padW + jj;
                            block[i * 6 + jj] = Vector512.Create(Avx2.GatherVector256(at, indexLo, 4), Avx2.GatherVector256(at, indexHi, 4));
                        }
                    WinogradF2x5.InputTransform(block);
                    for (int xi = 0; xi < Points; xi++) block[xi].StoreAligned(v + ((long)xi * k + c) * Strip + h);
                }
            }
        }

        // M[ξ] = U[ξ] · V[ξ]: rows × 32, in blocks of 8 rows.
        for (int xi = 0; xi < Points; xi++)
            for (int b = 0; b < blocks; b++)
                GemmMicroKernel.Tile(k, u + ((long)xi * blocks + b) * k * MR, v + (long)xi * k * Strip,
                    m + ((long)xi * _rowsPadded + b * MR) * Strip, Strip, overwrite: true);

        // y = Aᵀ M A + b, scattered back to the tiles' places.
        float* tile = stackalloc float[4 * Lanes];
        fixed (float* y = _y)
            for (int o = 0; o < rows; o++)
            {
                var bias = Vector512.Create(_bias is null ? 0f : _bias[o]);
                float* yo = y + (long)o * outPlane;
                for (int h = 0; h < Strip; h += Lanes)
                {
                    for (int xi = 0; xi < Points; xi++) block[xi] = Vector512.LoadAligned(m + ((long)xi * _rowsPadded + o) * Strip + h);
                    WinogradF2x5.OutputTransform(block, out var y00, out var y01, out var y10, out var y11);
                    (y00 + bias).Store(tile);
                    (y01 + bias).Store(tile + Lanes);
                    (y10 + bias).Store(tile + 2 * Lanes);
                    (y11 + bias).Store(tile + 3 * Lanes);
                    for (int j = 0; j < Lanes; j++)
                    {
                        int at = laneOut[h + j];
                        if (at < 0) break;
                        float* dst = yo + at;
                        int edge = laneEdge[h + j];
                        dst[0] = tile[j];
                        if ((edge & 2) != 0) dst[1] = tile[Lanes + j];
                        if ((edge & 1) != 0)
                        {
                            dst[g.OutW] = tile[2 * Lanes + j];
                            if ((edge & 2) != 0) dst[g.OutW + 1] = tile[3 * Lanes + j];
                        }
                    }
                }
            }
    }
}
