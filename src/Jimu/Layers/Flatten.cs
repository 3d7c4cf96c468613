using Jimu.Tensors;

namespace Jimu.Layers;

/// <summary>
/// Flattens every sample to a vector: [N, C, H, W] → [N, C·H·W] in C, H, W order (any [N, d1, …, dk] → [N, d1·…·dk]).
/// A reshape: the output is a view over the input's data, and the input gradient a view over dy's data.
/// </summary>
public sealed class Flatten(string name = "flatten") : Layer(name)
{
    private Tensor? _output, _inputGradient;
    private int[] _inputShape = [], _outputShape = [];

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        if (inputShape.Length < 2)
            throw ShapeError("input", null, inputShape, "a batch dimension and at least one more");
        int features = 1;
        for (int i = 1; i < inputShape.Length; i++) features *= inputShape[i];
        return [inputShape[0], features];
    }

    // x [N, C, H, W] → y [N, C·H·W], y[n, (c·H + h)·W + w] = x[n, c, h, w]
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (!input.ShapeEquals(_inputShape))
        {
            _outputShape = OutputShape(input.Shape);
            _inputShape = input.Shape.ToArray();
        }
        return View(ref _output, input, _outputShape);
    }

    // dy [N, C·H·W] → dx [N, C, H, W]
    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGradient)
    {
        if (_output is null) throw new InvalidOperationException($"Flatten '{Name}': Backward called before Forward.");
        CheckOutputGradient(_output, outputGradient);
        if (!InputGradientRequired) return null;
        return View(ref _inputGradient, outputGradient, _inputShape);
    }

    /// <summary>A view of <paramref name="source"/>'s data with <paramref name="shape"/>, reusing the cached view when it still fits.</summary>
    private static Tensor View(ref Tensor? cached, Tensor source, int[] shape)
    {
        if (cached is null || !ReferenceEquals(cached.Data, source.Data) || !cached.ShapeEquals(shape))
            cached = new Tensor(source.Data, shape);
        return cached;
    }

    /// <inheritdoc/>
    public override string Describe() => "Flatten";
}
