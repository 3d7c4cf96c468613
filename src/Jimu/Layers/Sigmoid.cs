using Jimu.Tensors;

namespace Jimu.Layers;

/// <summary>y = 1 / (1 + e^−x); dx = dy·y·(1 − y).</summary>
public sealed class Sigmoid(string name = "sigmoid") : Layer(name)
{
    private Tensor? _output, _inputGradient;

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var y = Tensor.Ensure(ref _output, input.Shape);
        var x = input.Span; var o = y.Span;
        for (int i = 0; i < x.Length; i++) o[i] = 1f / (1f + MathF.Exp(-x[i]));
        return y;
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGradient)
    {
        CheckOutputGradient(_output, outputGradient);
        if (!InputGradientRequired) return null;
        var dx = Tensor.Ensure(ref _inputGradient, outputGradient.Shape);
        var y = _output.Span; var dy = outputGradient.Span; var d = dx.Span;
        for (int i = 0; i < y.Length; i++) d[i] = dy[i] * y[i] * (1 - y[i]);
        return dx;
    }

    /// <inheritdoc/>
    public override string Describe() => "Sigmoid";
}
