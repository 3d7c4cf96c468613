using System.Runtime.CompilerServices;

namespace Jimu.Kernels;

/// <summary>
/// The direct pooling loops of <see cref="PoolDirect"/>, run over image ranges on every thread.
/// Argmax indices are relative to each input plane, so the ranges are independent.
/// </summary>
internal sealed class PoolParallel : BatchParallelWork
{
    private enum Job { MaxForward, MaxBackward, AvgForward, AvgBackward }

    private Job _job;
    private bool _relu;
    private float[] _in = [], _out = [];
    private int[] _argmax = [];
    private ConvGeometry _g;
    // Window corners of the 2×2 kernel, computed once per geometry.
    private int[]? _corners;
    private ConvGeometry _cornersFor;

    /// <summary>See <see cref="PoolDirect.MaxForward"/>; with <paramref name="relu"/>, then <see cref="PoolDirect.ReluOfMax"/>.</summary>
    public void MaxForward(float[] x, in ConvGeometry g, int batch, float[] y, int[] argmax, bool relu = false)
    {
        _relu = relu;
        Start(Job.MaxForward, x, y, argmax, g, batch);
    }

    /// <summary>See <see cref="PoolDirect.MaxBackward"/>.</summary>
    public void MaxBackward(float[] dy, int[] argmax, in ConvGeometry g, int batch, float[] dx) => Start(Job.MaxBackward, dy, dx, argmax, g, batch);

    /// <summary>See <see cref="PoolDirect.AvgForward"/>.</summary>
    public void AvgForward(float[] x, in ConvGeometry g, int batch, float[] y) => Start(Job.AvgForward, x, y, [], g, batch);

    /// <summary>See <see cref="PoolDirect.AvgBackward"/>.</summary>
    public void AvgBackward(float[] dy, in ConvGeometry g, int batch, float[] dx) => Start(Job.AvgBackward, dy, dx, [], g, batch);

    private void Start(Job job, float[] input, float[] output, int[] argmax, in ConvGeometry g, int batch)
    {
        if (job == Job.MaxForward && MaxPool2x2.Applies(g) && (_corners is null || _cornersFor != g))
        {
            _corners = MaxPool2x2.Corners(g);
            _cornersFor = g;
        }
        _job = job; _in = input; _out = output; _argmax = argmax; _g = g;
        RunOver(batch);
        _in = _out = []; _argmax = [];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Process(int part, int start, int end)
    {
        int n = end - start;
        int image = _g.InSize, pooled = _g.Channels * _g.OutPlane;
        switch (_job)
        {
            case Job.MaxForward when MaxPool2x2.Applies(_g):
                MaxPool2x2.Forward(_in.AsSpan(start * image, n * image), _g, n * _g.Channels, _out.AsSpan(start * pooled, n * pooled), _argmax.AsSpan(start * pooled, n * pooled), _corners);
                break;
            case Job.MaxForward:
                PoolDirect.MaxForward(_in.AsSpan(start * image, n * image), _g, n, _out.AsSpan(start * pooled, n * pooled), _argmax.AsSpan(start * pooled, n * pooled));
                break;
            case Job.MaxBackward:
                PoolDirect.MaxBackward(_in.AsSpan(start * pooled, n * pooled), _argmax.AsSpan(start * pooled, n * pooled), _g, n, _out.AsSpan(start * image, n * image));
                break;
            case Job.AvgForward:
                PoolDirect.AvgForward(_in.AsSpan(start * image, n * image), _g, n, _out.AsSpan(start * pooled, n * pooled));
                break;
            case Job.AvgBackward:
                PoolDirect.AvgBackward(_in.AsSpan(start * pooled, n * pooled), _g, n, _out.AsSpan(start * image, n * image));
                break;
        }
        // While this part's outputs are still in cache.
        if (_job == Job.MaxForward && _relu)
            PoolDirect.ReluOfMax(_out.AsSpan(start * pooled, n * pooled), _argmax.AsSpan(start * pooled, n * pooled));
    }
}
