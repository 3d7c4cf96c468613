namespace Jimu;

/// <summary>A model file that cannot be used as asked: damaged, or not a Jimu model; <see cref="Path"/> names it.</summary>
public class ModelFileException(string path, string message, Exception? inner = null) : JimuException(message, inner)
{
    /// <summary>The file (or the name given for a stream).</summary>
    public string Path { get; } = path;
}

/// <summary>A file that does not say its architecture (a PyTorch state_dict): the caller must give one.</summary>
public sealed class MissingArchitectureException(string path, string message) : ModelFileException(path, message);

/// <summary>
/// The weights of a file do not fit the architecture they are loaded into: a tensor missing, of another shape, or
/// unknown, or layers that differ. The architecture is wrong for the file (or the file for the architecture).
/// </summary>
public class ArchitectureMismatchException(string path, string message, Exception? inner = null) : ModelFileException(path, message, inner);

/// <summary>
/// One tensor of a file does not fit the architecture: <see cref="Expected"/> is the shape the model needs (null for a
/// tensor the model does not have, or when the caller asked by name alone), <see cref="Actual"/> the shape in the file
/// (null when the file lacks it).
/// </summary>
public sealed class ShapeMismatchException(string path, string tensorName, int[]? expected, int[]? actual, string message)
    : ArchitectureMismatchException(path, message)
{
    /// <summary>The tensor's name ("conv1.weight").</summary>
    public string TensorName { get; } = tensorName;
    /// <summary>The shape the model needs; null when the model has no such tensor or the shape was not asked for.</summary>
    public IReadOnlyList<int>? Expected { get; } = expected;
    /// <summary>The shape in the file; null when the file lacks the tensor.</summary>
    public IReadOnlyList<int>? Actual { get; } = actual;
}

/// <summary>
/// One tensor of a model file cannot be read at all: its data is missing, truncated or kept in another file, its
/// element type is not one Jimu reads, or its dimensions are impossible. <see cref="TensorName"/> names it and
/// <see cref="Dimensions"/> gives the dimensions the file declares (when they could be read).
/// </summary>
public sealed class TensorFormatException(string path, string tensorName, IReadOnlyList<long>? dimensions, string message)
    : ModelFileException(path, message)
{
    /// <summary>The tensor's name in the file ("conv1.weight", an ONNX initializer's name).</summary>
    public string TensorName { get; } = tensorName;
    /// <summary>The dimensions the file declares for the tensor; null when they could not be read.</summary>
    public IReadOnlyList<long>? Dimensions { get; } = dimensions;
}

/// <summary>
/// Training cannot continue from a file: it holds no optimizer state, the stored state is damaged, or the settings or
/// options asked for differ from the checkpoint's. Starting anew from the file's weights is the way out.
/// </summary>
public sealed class CheckpointException(string? path, string message, Exception? inner = null) : JimuException(message, inner)
{
    /// <summary>The checkpoint file, when known.</summary>
    public string? Path { get; } = path;
}
