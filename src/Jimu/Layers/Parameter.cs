using Jimu.Tensors;

namespace Jimu.Layers;

/// <summary>A learnable tensor and the gradient of the loss with respect to it.</summary>
public sealed class Parameter
{
    /// <summary>A parameter of <paramref name="shape"/>, value and gradient zero.</summary>
    public Parameter(string name, params int[] shape)
    {
        Name = name;
        Value = new Tensor(shape);
        Grad = new Tensor(shape);
    }

    /// <summary>Local name inside its layer, PyTorch style: "weight" or "bias".</summary>
    public string Name { get; }
    /// <summary>The value the optimizer updates.</summary>
    public Tensor Value { get; }
    /// <summary>dLoss/dValue, overwritten by every backward pass.</summary>
    public Tensor Grad { get; }
    /// <summary>Whether weight decay applies. PyTorch's SGD decays every parameter, so this defaults to true.</summary>
    public bool Decay { get; init; } = true;

    /// <summary>A short description for messages and summaries.</summary>
    public override string ToString() => $"{Name}{Value.ShapeString}";
}
