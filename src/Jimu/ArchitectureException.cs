namespace Jimu;

/// <summary>
/// An architecture (JSON or built in code) that cannot be read or built: which layer (<see cref="LayerIndex"/>,
/// 0-based; null for the architecture as a whole) and which field (<see cref="Field"/>, its JSON name; null when
/// the layer as a whole does not fit); for JSON, where it came from (<see cref="Path"/>) and, when the JSON itself
/// is at fault, the <see cref="Line"/>.
/// </summary>
public class ArchitectureException(string message, int? layerIndex = null, string? field = null, Exception? inner = null)
    : JimuException(message, inner)
{
    /// <summary>0-based index of the layer at fault in <see cref="Models.Architecture.Layers"/>; null when no one layer is.</summary>
    public int? LayerIndex { get; } = layerIndex;
    /// <summary>The JSON field at fault ("out_channels", "type"); null when no one field is.</summary>
    public string? Field { get; } = field;
    /// <summary>The file (or the name given to <see cref="Models.Architecture.FromJson"/>) the JSON came from; null for an architecture built in code.</summary>
    public string? Path { get; internal set; }
    /// <summary>The 1-based line of the JSON at fault, when the JSON parser said it; null otherwise.</summary>
    public long? Line { get; internal set; }
}
