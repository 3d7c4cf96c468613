using Jimu.Kernels;
using Jimu.Tensors;

namespace Jimu.Layers;

/// <summary>
/// Inverted dropout (PyTorch's Dropout). In training: y = x ⊙ m with m[i] = 0 with probability p, else 1 / (1 − p),
/// so E[y] = x; dx = dy ⊙ m with the same mask. In eval mode (or when p = 0): y = x, dx = dy.
/// The mask comes from a random generator owned by the layer and seeded in the constructor or by <see cref="Reseed"/>,
/// so runs are reproducible.
/// </summary>
public sealed class Dropout : Layer
{
    private double _probability;
    private ulong _state;
    private Tensor? _output, _inputGradient;
    private float[] _mask = [];
    private bool _masked;
    private int _length = -1;

    /// <summary>Dropout with probability <paramref name="probability"/>, its masks drawn from <paramref name="seed"/>.</summary>
    public Dropout(double probability = 0.5, int seed = 0, string name = "dropout") : base(name)
    {
        Probability = probability;
        Reseed(seed);
    }

    /// <summary>The probability p of zeroing an element, in [0, 1).</summary>
    public double Probability
    {
        get => _probability;
        set
        {
            if (!(value >= 0 && value < 1))
                throw new ArgumentOutOfRangeException(nameof(value), $"Dropout '{Name}': probability must be in [0, 1), got {value}.");
            _probability = value;
        }
    }

    /// <summary>Restarts the mask generator: the same seed gives the same sequence of masks.</summary>
    public void Reseed(int seed) => _state = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL + 0xD1B54A32D192ED03UL;

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    // x [any shape] → y [same shape]
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var y = Tensor.Ensure(ref _output, input.Shape);
        _length = input.Length;
        _masked = Training && _probability > 0;
        if (!_masked)
        {
            input.Span.CopyTo(y.Span);
            return y;
        }
        if (_mask.Length < input.Length) _mask = new float[input.Length];
        var mask = _mask.AsSpan(0, input.Length);
        float keep = (float)(1 / (1 - _probability));
        // Keep an element when a uniform u in [0, 1) is ≥ p: probability 1 − p.
        DropoutMask.Fill(mask, ref _state, _probability, keep);
        Elementwise.Multiply(input.Span, mask, y.Span);
        return y;
    }

    // dy [same shape] → dx = dy ⊙ m (or dy in eval mode)
    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGradient)
    {
        if (_output is null) throw new InvalidOperationException($"Dropout '{Name}': Backward called before Forward.");
        CheckOutputGradient(_output, outputGradient);
        if (!InputGradientRequired) return null;
        var dx = Tensor.Ensure(ref _inputGradient, outputGradient.Shape);
        if (_masked) Elementwise.Multiply(outputGradient.Span, _mask.AsSpan(0, _length), dx.Span);
        else outputGradient.Span.CopyTo(dx.Span);
        return dx;
    }

    /// <inheritdoc/>
    public override string Describe() => $"Dropout p={_probability}";
}
