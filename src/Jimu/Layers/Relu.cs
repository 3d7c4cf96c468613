using Jimu.Kernels;
using Jimu.Tensors;

namespace Jimu.Layers;

/// <summary>y = max(x, 0); dx = dy where y &gt; 0, else 0.</summary>
public sealed class Relu(string name = "relu") : Layer(name)
{
    private Tensor? _output, _inputGradient;

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var y = Tensor.Ensure(ref _output, input.Shape);
        ReluKernel.Forward(Context, input.Data, y.Data, input.Length);
        return y;
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGradient)
    {
        if (_output is null) throw new InvalidOperationException($"ReLU '{Name}': Backward called before Forward.");
        CheckOutputGradient(_output, outputGradient);
        if (!InputGradientRequired) return null;
        var dx = Tensor.Ensure(ref _inputGradient, outputGradient.Shape);
        ReluKernel.Backward(Context, _output.Data, outputGradient.Data, dx.Data, dx.Length);
        return dx;
    }

    /// <inheritdoc/>
    public override string Describe() => "ReLU";
}
