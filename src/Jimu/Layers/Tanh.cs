using Jimu.Tensors;

namespace Jimu.Layers;

/// <summary>y = tanh x; dx = dy·(1 − y²).</summary>
public sealed class Tanh(string name = "tanh") : Layer(name)
{
    private Tensor? _output, _inputGradient;

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var y = Tensor.Ensure(ref _output, input.Shape);
        var x = input.Span; var o = y.Span;
        for (int i = 0; i < x.Length; i++) o[i] = MathF.Tanh(x[i]);
        return y;
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGradient)
    {
        CheckOutputGradient(_output, outputGradient);
        if (!InputGradientRequired) return null;
        var dx = Tensor.Ensure(ref _inputGradient, outputGradient.Shape);
        var y = _output.Span; var dy = outputGradient.Span; var d = dx.Span;
        for (int i = 0; i < y.Length; i++) d[i] = dy[i] * (1 - y[i] * y[i]);
        return dx;
    }

    /// <inheritdoc/>
    public override string Describe() => "Tanh";
}
