using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Jimu.Kernels;

/// <summary>
/// Per-channel batch-normalisation arithmetic over x laid out [N, C, S] (S = H·W for images, 1 for features),
/// each channel c over its M = N·S values, the channels split across the threads (each channel is summed by one
/// thread in a fixed order: the same numbers for any thread count).
/// <code>
/// Statistics: mean[c] = Σ x / M,  var[c] = Σ (x − mean)² / M              (biased, as PyTorch normalises)
/// Affine:     y = x·scale[c] + shift[c]                                  (scale = γ/√(var+ε), shift = β − mean·scale)
/// Backward:   sumDy[c] = Σ dy,  sumDyX[c] = Σ dy·(x − mean[c])
///             dx = dy·k + (x − mean)·p + q   with k, p, q per channel (the layer derives them from the sums)
/// </code>
/// </summary>
internal sealed class BatchNormKernel : BatchParallelWork
{
    private enum Pass { Statistics, Affine, Sums, InputGradient }

    private Pass _pass;
    private float[] _x = [], _y = [], _dy = [];
    private float[] _a = [], _b = [], _c = [], _m = [];
    private double[] _outA = [], _outB = [];
    private int _n, _channels, _s;

    /// <summary>mean[c] and biased var[c] of x [N, C, S].</summary>
    public void Statistics(ComputeContext ctx, float[] x, int n, int channels, int s, double[] mean, double[] variance)
    {
        (_pass, _x, _n, _channels, _s, _outA, _outB) = (Pass.Statistics, x, n, channels, s, mean, variance);
        Run(ctx);
    }

    /// <summary>y[n, c, s] = x[n, c, s]·scale[c] + shift[c].</summary>
    public void Affine(ComputeContext ctx, float[] x, float[] y, int n, int channels, int s, float[] scale, float[] shift)
    {
        (_pass, _x, _y, _n, _channels, _s, _a, _b) = (Pass.Affine, x, y, n, channels, s, scale, shift);
        Run(ctx);
    }

    /// <summary>sumDy[c] = Σ dy and sumDyX[c] = Σ dy·(x − mean[c]) over channel c.</summary>
    public void Sums(ComputeContext ctx, float[] x, float[] dy, int n, int channels, int s, float[] mean, double[] sumDy, double[] sumDyX)
    {
        (_pass, _x, _dy, _n, _channels, _s, _a, _outA, _outB) = (Pass.Sums, x, dy, n, channels, s, mean, sumDy, sumDyX);
        Run(ctx);
    }

    /// <summary>dx[n, c, s] = dy·k[c] + (x − mean[c])·p[c] + q[c].</summary>
    public void InputGradient(ComputeContext ctx, float[] x, float[] dy, float[] dx, int n, int channels, int s, float[] mean, float[] k, float[] p, float[] q)
    {
        (_pass, _x, _dy, _y, _n, _channels, _s, _m, _a, _b, _c) = (Pass.InputGradient, x, dy, dx, n, channels, s, mean, k, p, q);
        Run(ctx);
    }

    private void Run(ComputeContext ctx)
    {
        // Small tensors run on the caller: a thread hand-off costs more than they do.
        if ((long)_n * _channels * _s < 1 << 15) Process(ctx, 0, 0, _channels);
        else RunOver(ctx, _channels);
        _x = _y = _dy = _a = _b = _c = _m = [];
        _outA = _outB = [];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Process(ComputeContext lane, int part, int start, int end)
    {
        for (int c = start; c < end; c++)
        {
            switch (_pass)
            {
                case Pass.Statistics:
                {
                    double sum = 0;
                    for (int i = 0; i < _n; i++) sum += Sum(Plane(_x, i, c));
                    double mean = sum / ((double)_n * _s), sq = 0;
                    for (int i = 0; i < _n; i++) sq += SquaredDeviation(Plane(_x, i, c), (float)mean);
                    _outA[c] = mean;
                    _outB[c] = sq / ((double)_n * _s);
                    break;
                }
                case Pass.Affine:
                    for (int i = 0; i < _n; i++) MultiplyAdd(Plane(_x, i, c), _a[c], _b[c], Plane(_y, i, c));
                    break;
                case Pass.Sums:
                {
                    double sumDy = 0, sumDyX = 0;
                    for (int i = 0; i < _n; i++)
                    {
                        var (a, b) = GradientSums(Plane(_x, i, c), Plane(_dy, i, c), _a[c]);
                        sumDy += a; sumDyX += b;
                    }
                    _outA[c] = sumDy; _outB[c] = sumDyX;
                    break;
                }
                case Pass.InputGradient:
                    for (int i = 0; i < _n; i++) Combine(Plane(_dy, i, c), Plane(_x, i, c), _m[c], _a[c], _b[c], _c[c], Plane(_y, i, c));
                    break;
            }
        }
    }

    private Span<float> Plane(float[] t, int i, int c) => t.AsSpan((i * _channels + c) * _s, _s);

    private static double Sum(ReadOnlySpan<float> x)
    {
        var v = MemoryMarshal.Cast<float, Vector<float>>(x);
        var acc = Vector<float>.Zero;
        for (int j = 0; j < v.Length; j++) acc += v[j];
        double s = Vector.Sum(acc);
        for (int j = v.Length * Vector<float>.Count; j < x.Length; j++) s += x[j];
        return s;
    }

    private static double SquaredDeviation(ReadOnlySpan<float> x, float mean)
    {
        var v = MemoryMarshal.Cast<float, Vector<float>>(x);
        var m = new Vector<float>(mean);
        var acc = Vector<float>.Zero;
        for (int j = 0; j < v.Length; j++) { var d = v[j] - m; acc += d * d; }
        double s = Vector.Sum(acc);
        for (int j = v.Length * Vector<float>.Count; j < x.Length; j++) { double d = x[j] - mean; s += d * d; }
        return s;
    }

    private static void MultiplyAdd(ReadOnlySpan<float> x, float a, float b, Span<float> y)
    {
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
        var va = new Vector<float>(a);
        var vb = new Vector<float>(b);
        for (int j = 0; j < vx.Length; j++) vy[j] = vx[j] * va + vb;
        for (int j = vx.Length * Vector<float>.Count; j < x.Length; j++) y[j] = x[j] * a + b;
    }

    private static (double SumDy, double SumDyX) GradientSums(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, float mean)
    {
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        var vd = MemoryMarshal.Cast<float, Vector<float>>(dy);
        var m = new Vector<float>(mean);
        Vector<float> a = Vector<float>.Zero, b = Vector<float>.Zero;
        for (int j = 0; j < vx.Length; j++) { a += vd[j]; b += vd[j] * (vx[j] - m); }
        double sa = Vector.Sum(a), sb = Vector.Sum(b);
        for (int j = vx.Length * Vector<float>.Count; j < x.Length; j++) { sa += dy[j]; sb += dy[j] * ((double)x[j] - mean); }
        return (sa, sb);
    }

    private static void Combine(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float mean, float k, float p, float q, Span<float> dx)
    {
        var vd = MemoryMarshal.Cast<float, Vector<float>>(dy);
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        var vo = MemoryMarshal.Cast<float, Vector<float>>(dx);
        Vector<float> vm = new(mean), vk = new(k), vp = new(p), vq = new(q);
        for (int j = 0; j < vd.Length; j++) vo[j] = vd[j] * vk + (vx[j] - vm) * vp + vq;
        for (int j = vd.Length * Vector<float>.Count; j < dy.Length; j++) dx[j] = dy[j] * k + (x[j] - mean) * p + q;
    }
}
