using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Jimu.Data;
using Jimu.Models;

namespace Jimu.IO;

/// <summary>
/// Every type the library reads or writes as JSON, serialised by source-generated code (no reflection: the library
/// and the jimu command publish with NativeAOT). Source generation sets an init-only property that the JSON leaves out
/// to default(T), not to its initialiser: a type whose defaults must survive takes them as constructor parameters
/// (<see cref="Training.TrainingOptions"/>, <see cref="Training.OptimizerSettings"/>) or maps null to its default.
/// </summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    AllowOutOfOrderMetadataProperties = true)]
[JsonSerializable(typeof(Architecture))]
[JsonSerializable(typeof(ModelFile.SavedOptimizer))]
[JsonSerializable(typeof(ModelFile.TrainingState))]
[JsonSerializable(typeof(Training.TrainingOptions))]
[JsonSerializable(typeof(Training.OptimizerSettings))]
[JsonSerializable(typeof(Normalization))]
[JsonSerializable(typeof(DataDescription))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(Dictionary<string, long>))]
internal sealed partial class JimuJsonContext : JsonSerializerContext
{
    /// <summary>For architectures: an unknown field is an error, not ignored.</summary>
    // Made on first use: a static initialiser here could run before the generated Default's (partial class, two files).
    internal static JsonSerializerOptions Strict => field ??= new(Default.Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    /// <summary>The strict type information of <typeparamref name="T"/>.</summary>
    internal static JsonTypeInfo<T> StrictInfo<T>() => (JsonTypeInfo<T>)Strict.GetTypeInfo(typeof(T));
}
