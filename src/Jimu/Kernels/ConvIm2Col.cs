using System.Runtime.CompilerServices;

namespace Jimu.Kernels;

/// <summary>
/// Convolution as im2col + GEMM over an NCHW batch, split by images across <see cref="Parallelism.Threads"/>:
/// each part unfolds its own images into its own patch matrix, so the matrices stay cache-sized, and
/// accumulates its own weight gradient; the parts' gradients are then summed in a fixed order (deterministic
/// for a given thread count). A batch smaller than the thread count runs as one part and lets the GEMM
/// use the threads instead. Per image n, with P = C·kh·kw and Q = OH·OW:
/// <code>
/// forward:  col[P, Q] = unfold(x_n);  y_n[O, Q] = W[O, P] · col + b
/// backward: dW[O, P] += dY_n · colᵀ;  db[O] += Σ_q dY_n[O, q];  dx_n = fold(Wᵀ · dY_n)
/// </code>
/// Buffers are kept between calls; nothing is allocated once the shapes are seen.
/// </summary>
internal sealed class ConvIm2Col : BatchParallelWork
{
    private float[][] _col = [], _dcol = [], _dw = [];
    private double[][] _db = [];

    // The job being run, set before the parts start.
    private enum Job { Forward, Backward, UnfoldChannels, MultiplyRows }
    private Job _job;
    private bool _backward;
    private float[] _x = [], _w = [], _y = [], _dy = [];
    private float[]? _bias, _dx;
    private ConvGeometry _g;
    private int _batch, _outChannels;

    /// <summary>y[N, O, OH, OW] = conv(x[N, C, H, W], W[O, C, kh, kw]) + bias.</summary>
    public void Forward(float[] x, float[] weight, float[]? bias, float[] y, int batch, int outChannels, in ConvGeometry g)
    {
        _backward = false;
        _x = x; _w = weight; _bias = bias; _y = y; _g = g; _batch = batch; _outChannels = outChannels;
        if (batch == 1 && Parallelism.Threads > 1)
        {
            // One image (inference latency): split the image instead of the batch. First the patch matrix by
            // input channels, then the product by blocks of 8 output channels (one micro-kernel row block).
            Prepare(1);
            _job = Job.UnfoldChannels;
            RunOver(g.Channels);
            _job = Job.MultiplyRows;
            RunOver((outChannels + 7) / 8);
            return;
        }
        _job = Job.Forward;
        Run();
    }

    /// <summary>Sets dW (and db when given) to the batch sums and, when <paramref name="dx"/> is given, dx to the input gradient.</summary>
    public void Backward(float[] x, float[] weight, float[] dy, float[] dWeight, float[]? dBias, float[]? dx,
        int batch, int outChannels, in ConvGeometry g)
    {
        _backward = true;
        _job = Job.Backward;
        _x = x; _w = weight; _dy = dy; _dx = dx; _g = g; _batch = batch; _outChannels = outChannels;
        Run();
        int pq = outChannels * g.PatchSize;
        var dw = dWeight.AsSpan(0, pq);
        _dw[0].AsSpan(0, pq).CopyTo(dw);
        for (int p = 1; p < Parts; p++) Elementwise.Add(dw, _dw[p].AsSpan(0, pq));
        if (dBias is not null)
            for (int o = 0; o < outChannels; o++)
            {
                double s = 0;
                for (int p = 0; p < Parts; p++) s += _db[p][o];
                dBias[o] = (float)s;
            }
    }

    private void Run()
    {
        Prepare(PartsFor(_batch));
        RunOver(_batch);
    }

    private void Prepare(int parts)
    {
        int pq = _g.PatchSize * _g.OutPlane;
        Grow(ref _col, parts, pq);
        if (_backward)
        {
            Grow(ref _dw, parts, _outChannels * _g.PatchSize);
            if (_dx is not null) Grow(ref _dcol, parts, pq);
            if (_db.Length < parts || _db[0].Length < _outChannels)
                _db = Enumerable.Range(0, parts).Select(_ => new double[_outChannels]).ToArray();
        }
    }

    private static void Grow(ref float[][] buffers, int parts, int length)
    {
        if (buffers.Length < parts) Array.Resize(ref buffers, parts);
        for (int p = 0; p < parts; p++)
            if (buffers[p] is null || buffers[p].Length < length) buffers[p] = new float[length];
    }

    protected override void Process(int part, int start, int end)
    {
        switch (_job)
        {
            case Job.Forward: ForwardPart(part, start, end); break;
            case Job.Backward: BackwardPart(part, start, end); break;
            case Job.UnfoldChannels: UnfoldChannels(start, end); break;
            case Job.MultiplyRows: MultiplyRows(8 * start, Math.Min(8 * end, _outChannels)); break;
        }
    }

    // One image, channels [c0, c1): their rows of the patch matrix, col[c·kh·kw + (i·kw + j), :].
    private void UnfoldChannels(int c0, int c1)
    {
        var g = _g;
        int rows = g.KernelH * g.KernelW, plane = g.InH * g.InW, q = g.OutPlane;
        Im2Col.Unfold(_x.AsSpan(c0 * plane, (c1 - c0) * plane), g with { Channels = c1 - c0 },
            _col[0].AsSpan(c0 * rows * q, (c1 - c0) * rows * q));
    }

    // One image, output channels [o0, o1): y[o0..o1, :] = W[o0..o1, :] · col + b[o0..o1].
    private void MultiplyRows(int o0, int o1)
    {
        int p = _g.PatchSize, q = _g.OutPlane;
        var y = _y.AsSpan(o0 * q, (o1 - o0) * q);
        Gemm.Multiply(o1 - o0, q, p, _w.AsSpan(o0 * p, (o1 - o0) * p), p, false, _col[0].AsSpan(0, p * q), q, false, y, q);
        if (_bias is not null) Elementwise.AddChannelBias(y, _bias.AsSpan(o0, o1 - o0), q);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ForwardPart(int part, int start, int end)
    {
        var g = _g;
        int p = g.PatchSize, q = g.OutPlane, o = _outChannels, inSize = g.InSize;
        var col = _col[part].AsSpan(0, p * q);
        for (int n = start; n < end; n++)
        {
            var yn = _y.AsSpan(n * o * q, o * q);
            Im2Col.Unfold(_x.AsSpan(n * inSize, inSize), g, col);
            Gemm.Multiply(o, q, p, _w, p, false, col, q, false, yn, q);
            if (_bias is not null) Elementwise.AddChannelBias(yn, _bias.AsSpan(0, o), q);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BackwardPart(int part, int start, int end)
    {
        var g = _g;
        int p = g.PatchSize, q = g.OutPlane, o = _outChannels, inSize = g.InSize;
        var col = _col[part].AsSpan(0, p * q);
        var dw = _dw[part].AsSpan(0, o * p);
        var db = _db[part];
        dw.Clear();
        Array.Clear(db, 0, o);
        for (int n = start; n < end; n++)
        {
            var dyn = _dy.AsSpan(n * o * q, o * q);
            Im2Col.Unfold(_x.AsSpan(n * inSize, inSize), g, col);
            Gemm.Multiply(o, p, q, dyn, q, false, col, q, true, dw, p, accumulate: true);
            for (int c = 0; c < o; c++) db[c] += Elementwise.Sum(dyn.Slice(c * q, q));
            if (_dx is not null)
            {
                var dcol = _dcol[part].AsSpan(0, p * q);
                Gemm.Multiply(p, q, o, _w, p, true, dyn, q, false, dcol, q);
                var dxn = _dx.AsSpan(n * inSize, inSize);
                dxn.Clear();
                Im2Col.Fold(dcol, g, dxn);
            }
        }
    }
}
