using System.Globalization;
using Jimu.Tensors;

namespace Jimu.Layers;

/// <summary>
/// PyTorch's LeakyReLU: y = x for x &gt; 0, else s·x (s = negative_slope, 0.01 by default); dx = dy for x &gt; 0, else s·dy.
/// </summary>
public sealed class LeakyRelu : Layer
{
    private Tensor? _input, _output, _inputGradient;

    /// <summary>y = x for x &gt; 0, else <paramref name="negativeSlope"/>·x.</summary>
    public LeakyRelu(double negativeSlope = 0.01, string name = "leakyrelu") : base(name)
    {
        if (!double.IsFinite(negativeSlope))
            throw new ArgumentOutOfRangeException(nameof(negativeSlope), $"LeakyReLU '{name}': negative_slope must be a finite number, got {negativeSlope}.");
        NegativeSlope = negativeSlope;
    }

    /// <summary>The slope for negative inputs.</summary>
    public double NegativeSlope { get; }

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var y = Tensor.Ensure(ref _output, input.Shape);
        _input = input;
        float s = (float)NegativeSlope;
        var x = input.Span; var o = y.Span;
        for (int i = 0; i < x.Length; i++) o[i] = x[i] > 0 ? x[i] : s * x[i];
        return y;
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGradient)
    {
        CheckOutputGradient(_output, outputGradient);
        if (_input is null) throw new InvalidOperationException($"{Who}: Backward called before Forward.");
        if (!InputGradientRequired) return null;
        var dx = Tensor.Ensure(ref _inputGradient, outputGradient.Shape);
        float s = (float)NegativeSlope;
        var x = _input.Span; var dy = outputGradient.Span; var d = dx.Span;
        for (int i = 0; i < x.Length; i++) d[i] = x[i] > 0 ? dy[i] : s * dy[i];
        return dx;
    }

    /// <inheritdoc/>
    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"LeakyReLU negative_slope={NegativeSlope}");
}
