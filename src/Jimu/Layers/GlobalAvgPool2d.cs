using Jimu.Tensors;

namespace Jimu.Layers;

/// <summary>
/// Global average pooling (PyTorch's AdaptiveAvgPool2d(1) followed by flatten): x [N, C, H, W] → y [N, C],
/// y[n, c] = Σ_hw x[n, c, h, w] / (H·W); dx[n, c, h, w] = dy[n, c] / (H·W). Any input size gives C features,
/// so a network ending in it takes images of any size.
/// </summary>
public sealed class GlobalAvgPool2d(string name = "gap") : Layer(name)
{
    private Tensor? _output, _inputGradient;
    private int[] _inputShape = [];

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        Validate(inputShape);
        return [inputShape[0], inputShape[1]];
    }

    private void Validate(ReadOnlySpan<int> inputShape)
    {
        if (inputShape.Length != 4)
            throw ShapeError("input", [ShapeException.Any, ShapeException.Any, ShapeException.Any, ShapeException.Any], inputShape, "4-D NCHW");
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        Validate(input.Shape);
        // Kept, not copied, while the shape stays: a training step allocates nothing.
        if (!input.Shape.SequenceEqual(_inputShape)) _inputShape = input.Shape.ToArray();
        var y = Tensor.Ensure(ref _output, input.Dim(0), input.Dim(1));
        int planes = input.Dim(0) * input.Dim(1), hw = input.Dim(2) * input.Dim(3);
        float inv = 1f / hw;
        for (int p = 0; p < planes; p++)
        {
            var plane = input.Data.AsSpan(p * hw, hw);
            double sum = 0;
            foreach (float v in plane) sum += v;
            y.Data[p] = (float)(sum * inv);
        }
        return y;
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGradient)
    {
        CheckOutputGradient(_output, outputGradient);
        if (!InputGradientRequired) return null;
        var dx = Tensor.Ensure(ref _inputGradient, _inputShape);
        int planes = _output.Length, hw = _inputShape[2] * _inputShape[3];
        float inv = 1f / hw;
        for (int p = 0; p < planes; p++) dx.Data.AsSpan(p * hw, hw).Fill(outputGradient.Data[p] * inv);
        return dx;
    }

    /// <inheritdoc/>
    public override string Describe() => "GlobalAvgPool2d";
}
