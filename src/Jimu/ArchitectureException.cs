namespace Jimu;

/// <summary>
/// An architecture (JSON or built in code) that cannot be read or built: which layer (<see cref="LayerIndex"/>,
/// 0-based; null for the architecture as a whole) and which field (<see cref="Field"/>, its JSON name; null when
/// the layer as a whole does not fit).
/// </summary>
public class ArchitectureException(string message, int? layerIndex = null, string? field = null, Exception? inner = null)
    : JimuException(message, inner)
{
    /// <summary>0-based index of the layer at fault in <see cref="Models.Architecture.Layers"/>; null when no one layer is.</summary>
    public int? LayerIndex { get; } = layerIndex;
    /// <summary>The JSON field at fault ("out_channels", "type"); null when no one field is.</summary>
    public string? Field { get; } = field;
}
