using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// The weight gradient of an r×r, stride-1 convolution by Winograd F(m×m, r×r) (<typeparamref name="T"/>), the gradient
/// of its forward pass (<see cref="WinogradForward{T}"/>):
/// <code>
/// dM_{o,t} = A dY_{o,t} Aᵀ                     dY_{o,t}: the m×m output-gradient tile t of channel o
/// dU[ξ][o][c] = Σ_t dM[ξ][o][t] · V[ξ][c][t]    36 GEMMs, O × C × T, the sum over tiles t as the GEMM depth
/// dW[o][c] = Gᵀ dU[·][o][c] G;   db[o] = Σ dY[o]
/// </code>
/// Here the GEMM's depth is the tiles, so its operands are laid out with channels along the vector lanes: the input
/// and the output gradient are first copied channels-last (NHWC, zero-padded), which makes every 6×6 window a
/// set of 36 contiguous 16-channel loads. The batch is split over threads by images; each part works one image at a
/// time (its copies, V and dM stay in L2) and sums its own dU over chunks of at most 64 of the image's tiles, and
/// the parts are added in a fixed order (deterministic for a thread count).
/// </summary>
[SkipLocalsInit]
internal sealed unsafe class WinogradWeightGradient<T> : BatchParallelWork where T : struct, IWinogradTiles
{
    private const int Points = WinogradBasis.Points, Lanes = 16, MR = 8, NR = 32;
    /// <summary>Tiles per GEMM pass: V (36·C·64) and dM (36·O·64) of the seed network's conv2 take 885 KB.</summary>
    private const int ChunkTiles = 64;

    private sealed class PartBuffers
    {
        public AlignedBuffer? X, Dy, V, Dm, Du;
        public double[] Db = [];
    }

    private PartBuffers[] _parts = [];

    private float[] _x = [], _dy = [];
    private ConvGeometry _g;
    private int _outChannels, _cPad, _oPad, _tilesH, _tilesW, _padH, _padW;

    /// <summary>dW[O, C, r, r] (and db[O] when given) = the batch sums of the gradients.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(ComputeContext ctx, float[] x, float[] dy, float[] dWeight, float[]? dBias, int batch, int outChannels, in ConvGeometry g)
    {
        _x = x; _dy = dy; _g = g; _outChannels = outChannels;
        _cPad = (g.Channels + NR - 1) / NR * NR;
        _oPad = (outChannels + Lanes - 1) / Lanes * Lanes;
        int m = T.Out;
        _tilesH = (g.OutH + m - 1) / m; _tilesW = (g.OutW + m - 1) / m;
        _padH = m * _tilesH + T.Kernel - 1; _padW = m * _tilesW + T.Kernel - 1;

        int parts = PartsFor(ctx, batch);
        if (_parts.Length < parts) Array.Resize(ref _parts, parts);
        for (int p = 0; p < parts; p++) _parts[p] ??= new PartBuffers();
        RunOver(ctx, batch);

        // dU = Σ over parts in order (into part 0's), then dW = Gᵀ dU G, 16 input channels at a time.
        int c = g.Channels;
        long duSize = (long)Points * _oPad * _cPad;
        float* du = _parts[0].Du!.Pointer;
        for (int p = 1; p < parts; p++)
            Elementwise.Add(new Span<float>(du, checked((int)duSize)), new ReadOnlySpan<float>(_parts[p].Du!.Pointer, (int)duSize));
        int taps = T.Kernel * T.Kernel;
        Vector512<float>* dg = stackalloc Vector512<float>[taps];
        float* lanes = stackalloc float[Lanes];
        fixed (float* dw = dWeight)
            for (int o = 0; o < outChannels; o++)
                for (int c0 = 0; c0 < c; c0 += Lanes)
                {
                    T.KernelGradientTransform(du + (long)o * _cPad + c0, (long)_oPad * _cPad, dg);
                    int count = Math.Min(Lanes, c - c0);
                    float* kernel = dw + ((long)o * c + c0) * taps;
                    for (int e = 0; e < taps; e++)
                    {
                        dg[e].Store(lanes);
                        for (int j = 0; j < count; j++) kernel[j * taps + e] = lanes[j];
                    }
                }
        if (dBias is not null)
            for (int o = 0; o < outChannels; o++)
            {
                double s = 0;
                for (int p = 0; p < parts; p++) s += _parts[p].Db[o];
                dBias[o] = (float)s;
            }
        _x = _dy = [];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Process(ComputeContext lane, int part, int start, int end)
    {
        var g = _g;
        var b = _parts[part];
        int tilesPerImage = _tilesH * _tilesW;
        int side = T.Out, oh2 = side * _tilesH, ow2 = side * _tilesW;
        float* x = AlignedBuffer.Ensure(ref b.X, (long)_padH * _padW * _cPad);
        float* dy = AlignedBuffer.Ensure(ref b.Dy, (long)oh2 * ow2 * _oPad);
        long vPlane = (long)_cPad * ChunkTiles + WinogradBasis.PlaneSkew, mPlane = (long)_oPad * ChunkTiles + WinogradBasis.PlaneSkew;
        float* v = AlignedBuffer.Ensure(ref b.V, Points * vPlane);
        float* dm = AlignedBuffer.Ensure(ref b.Dm, Points * mPlane);
        float* du = AlignedBuffer.Ensure(ref b.Du, (long)Points * _oPad * _cPad);
        if (b.Db.Length < _outChannels) b.Db = new double[_outChannels];

        int outPlane = g.OutPlane;
        for (int o = 0; o < _outChannels; o++)
        {
            double s = 0;
            for (int n = start; n < end; n++) s += Elementwise.Sum(_dy.AsSpan((n * _outChannels + o) * outPlane, outPlane));
            b.Db[o] = s;
        }

        int oBlocks = _oPad / MR, cStrips = _cPad / NR;
        Vector512<float>* scratch = stackalloc Vector512<float>[Points];
        Vector512<float>* dyTile = stackalloc Vector512<float>[side * side];
        bool first = true;
        for (int image = start; image < end; image++)
        {
            // Channels-last, zero-padded copies of the image: x[padH][padW][cPad], dy[m·TH][m·TW][oPad].
            ChannelsLast.Copy(_x, image, 1, g.Channels, g.InH, g.InW, g.PadTop, g.PadLeft, _padH, _padW, _cPad, x);
            ChannelsLast.Copy(_dy, image, 1, _outChannels, g.OutH, g.OutW, 0, 0, oh2, ow2, _oPad, dy);
            for (int t0 = 0; t0 < tilesPerImage; t0 += ChunkTiles)
            {
                int count = Math.Min(ChunkTiles, tilesPerImage - t0);
                for (int tt = 0; tt < count; tt++)
                {
                    int r = t0 + tt, ty = r / _tilesW, tx = r % _tilesW;
                    // V[ξ][c strip][tile][32]: the packed B panels of the GEMM, 16 channels per vector.
                    float* window = x + ((long)side * ty * _padW + side * tx) * _cPad;
                    for (int c = 0; c < _cPad; c += Lanes)
                        WinogradBasis.InputTransform(window + c, (long)_padW * _cPad, _cPad,
                            v + ((long)(c / NR) * ChunkTiles + tt) * NR + c % NR, vPlane, scratch);
                    // dM[ξ][o block][tile][8]: the packed A panels, 16 output channels per vector, stored as two halves.
                    float* tileDy = dy + ((long)side * ty * ow2 + side * tx) * _oPad;
                    for (int o = 0; o < _oPad; o += Lanes)
                    {
                        for (int a = 0; a < side; a++)
                            for (int bb = 0; bb < side; bb++)
                                dyTile[a * side + bb] = Vector512.LoadAligned(tileDy + ((long)a * ow2 + bb) * _oPad + o);
                        float* lo = dm + ((long)(o / MR) * ChunkTiles + tt) * MR;
                        T.OutputGradientTransform(dyTile, lo, lo + (long)ChunkTiles * MR, mPlane);
                    }
                }
                // dU[ξ] (+)= dM[ξ] · V[ξ]ᵀ over this chunk's tiles.
                bool overwrite = first;
                first = false;
                for (int xi = 0; xi < Points; xi++)
                    for (int ob = 0; ob < oBlocks; ob++)
                        for (int cs = 0; cs < cStrips; cs++)
                            GemmMicroKernel.Tile(count,
                                dm + xi * mPlane + (long)ob * MR * ChunkTiles, v + xi * vPlane + (long)cs * NR * ChunkTiles,
                                du + ((long)xi * _oPad + ob * MR) * _cPad + cs * NR, _cPad, overwrite);
            }
        }
    }
}
