using System.Runtime.CompilerServices;

namespace Jimu.Kernels;

/// <summary>
/// ReLU forward (y = max(x, 0)) and backward (dx = y &gt; 0 ? dy : 0) over large tensors, split into contiguous
/// ranges across the threads (<see cref="Elementwise.Relu"/> and <see cref="Elementwise.ReluBackward"/> on each).
/// Small tensors run on the caller: a thread hand-off costs more than they do.
/// </summary>
internal sealed class ReluKernel : BatchParallelWork
{
    private const int MinParallelLength = 1 << 16, Blocks = 16;

    private float[] _a = [], _b = [], _out = [];
    private int _length;
    private bool _backward;

    /// <summary>y[i] = max(x[i], 0) for i &lt; length.</summary>
    public void Forward(float[] x, float[] y, int length)
    {
        if (length < MinParallelLength) { Elementwise.Relu(x.AsSpan(0, length), y.AsSpan(0, length)); return; }
        (_a, _out, _length, _backward) = (x, y, length, false);
        RunOver(Blocks);
        _a = _out = [];
    }

    /// <summary>dx[i] = y[i] &gt; 0 ? dy[i] : 0 for i &lt; length.</summary>
    public void Backward(float[] y, float[] dy, float[] dx, int length)
    {
        if (length < MinParallelLength) { Elementwise.ReluBackward(y.AsSpan(0, length), dy.AsSpan(0, length), dx.AsSpan(0, length)); return; }
        (_a, _b, _out, _length, _backward) = (y, dy, dx, length, true);
        RunOver(Blocks);
        _a = _b = _out = [];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Process(int part, int start, int end)
    {
        var (from, to) = ElementRange(_length, Blocks, start, end);
        if (_backward) Elementwise.ReluBackward(_a.AsSpan(from, to - from), _b.AsSpan(from, to - from), _out.AsSpan(from, to - from));
        else Elementwise.Relu(_a.AsSpan(from, to - from), _out.AsSpan(from, to - from));
    }
}
