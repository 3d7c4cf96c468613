using System.Runtime.CompilerServices;

namespace Jimu.Kernels;

/// <summary>
/// <see cref="SgdUpdate.Step"/> over a large tensor, split into contiguous ranges across the threads: the update is
/// elementwise, so the result does not depend on the split. Small tensors run on the caller.
/// </summary>
internal sealed class SgdKernel : BatchParallelWork
{
    private const int MinParallelLength = 1 << 16, Blocks = 16;

    private float[] _w = [], _grad = [], _buffer = [];
    private int _length;
    private float _lr, _momentum, _weightDecay;
    private bool _nesterov, _first;

    /// <summary>One step over the first <paramref name="length"/> elements; <paramref name="buffer"/> is unused without momentum.</summary>
    public void Step(float[] w, float[] grad, float[] buffer, int length,
        float lr, float momentum, float weightDecay, bool nesterov, bool first)
    {
        if (length < MinParallelLength)
        {
            SgdUpdate.Step(w.AsSpan(0, length), grad.AsSpan(0, length), momentum != 0f ? buffer.AsSpan(0, length) : default,
                lr, momentum, weightDecay, nesterov, first);
            return;
        }
        (_w, _grad, _buffer, _length) = (w, grad, buffer, length);
        (_lr, _momentum, _weightDecay, _nesterov, _first) = (lr, momentum, weightDecay, nesterov, first);
        RunOver(Blocks);
        _w = _grad = _buffer = [];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Process(int part, int start, int end)
    {
        var (from, to) = ElementRange(_length, Blocks, start, end);
        SgdUpdate.Step(_w.AsSpan(from, to - from), _grad.AsSpan(from, to - from),
            _momentum != 0f ? _buffer.AsSpan(from, to - from) : default, _lr, _momentum, _weightDecay, _nesterov, _first);
    }
}
