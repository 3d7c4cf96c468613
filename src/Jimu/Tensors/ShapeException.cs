using Jimu.Layers;

namespace Jimu.Tensors;

/// <summary>
/// A tensor whose shape does not fit the layer or operation it is given to. It is an <see cref="ArgumentException"/>:
/// the caller passed a tensor the call cannot take (a program that feeds outside data checks it first, as
/// <see cref="Models.Model.Predict"/> does with <see cref="Models.DataCheck.CheckShape"/>). It says who refused
/// (<see cref="Operation"/>; for a layer also <see cref="LayerType"/>, <see cref="LayerName"/> and, inside a network,
/// <see cref="LayerIndex"/>), which tensor (<see cref="Argument"/>), the shape that fits (<see cref="Expected"/>,
/// <see cref="Any"/> where any size fits) and the one given (<see cref="Actual"/>); the message is made from them:
/// "Linear 'fc1' (layer 8) expects input [*, 3136] (3136 features), got [2, 3000]."
/// </summary>
public sealed class ShapeException : ArgumentException
{
    /// <summary>A dimension of <see cref="Expected"/> that may have any size (the batch, an image's height): printed "*".</summary>
    public const int Any = -1;

    /// <summary>
    /// A shape error of <paramref name="operation"/> ("Tensor.Reshape", "SoftmaxCrossEntropy") on its
    /// <paramref name="argument"/> ("input", "labels"): <paramref name="expected"/> is the shape that fits (null when
    /// no one shape says it, then <paramref name="requirement"/> does), <paramref name="actual"/> the shape given,
    /// <paramref name="requirement"/> the rule in words ("3 input channels") and <paramref name="hint"/> what to do.
    /// </summary>
    public ShapeException(string operation, string argument, IReadOnlyList<int>? expected, IReadOnlyList<int> actual,
        string? requirement = null, string? hint = null)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(argument);
        ArgumentNullException.ThrowIfNull(actual);
        if (expected is null && requirement is null)
            throw new ArgumentException("A shape error needs the expected shape or the requirement in words.", nameof(requirement));
        Operation = operation;
        Argument = argument;
        Expected = expected?.ToArray();
        Actual = actual.ToArray();
        Requirement = requirement;
        Hint = hint;
    }

    /// <summary>A layer's shape error: <see cref="Operation"/> is "Type 'name'", with the layer's type and name kept apart.</summary>
    internal static ShapeException Of(Layer layer, string argument, IReadOnlyList<int>? expected, ReadOnlySpan<int> actual,
        string? requirement = null, string? hint = null) =>
        new($"{layer.GetType().Name} '{layer.Name}'", argument, expected, actual.ToArray(), requirement, hint)
        {
            LayerType = layer.GetType().Name,
            LayerName = layer.Name,
        };

    /// <summary>Who refused the tensor: "Conv2D 'conv1'", "Model.Predict", "Tensor.Reshape", "SoftmaxCrossEntropy".</summary>
    public string Operation { get; }

    /// <summary>The layer's type ("Conv2D") when a layer refused the tensor; null otherwise.</summary>
    public string? LayerType { get; private init; }

    /// <summary>The layer's name ("conv1") when a layer refused the tensor; null otherwise.</summary>
    public string? LayerName { get; private init; }

    /// <summary>
    /// 0-based index of the layer in its network's <see cref="Models.Sequential.Layers"/>, when the error came from
    /// running or building a network (a lone layer does not know it); null otherwise.
    /// </summary>
    public int? LayerIndex { get; internal set; }

    /// <summary>Which tensor does not fit: "input", "output gradient", "labels", "images", "shape".</summary>
    public string Argument { get; }

    /// <summary>The shape that fits, <see cref="Any"/> where any size does ([*, 1, 28, 28]); null when no one shape says it (see <see cref="Requirement"/>).</summary>
    public IReadOnlyList<int>? Expected { get; }

    /// <summary>The shape given.</summary>
    public IReadOnlyList<int> Actual { get; }

    /// <summary>The rule in words, when the shapes alone do not say it ("3 input channels", "more than one value per channel in training"); null otherwise.</summary>
    public string? Requirement { get; }

    /// <summary>What to do about it ("put a Flatten layer before it"); null when nothing more than the shapes is to say.</summary>
    public string? Hint { get; }

    /// <summary>"{Operation} (layer i) expects {Argument} {Expected} ({Requirement}), got {Actual}; {Hint}."</summary>
    public override string Message
    {
        get
        {
            string who = LayerIndex is { } i ? $"{Operation} (layer {i + 1})" : Operation;
            string wants = Expected is null ? $"{Argument} with {Requirement}"
                : Requirement is null ? $"{Argument} {Format(Expected)}" : $"{Argument} {Format(Expected)} ({Requirement})";
            string hint = Hint is null ? "" : $"; {Hint.TrimEnd('.')}";
            return $"{who} expects {wants}, got {Format(Actual)}{hint}.";
        }
    }

    /// <summary>A shape as "[*, 1, 28, 28]": <see cref="Any"/> as "*".</summary>
    public static string Format(IReadOnlyList<int> shape) =>
        "[" + string.Join(", ", shape.Select(d => d == Any ? "*" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
}
