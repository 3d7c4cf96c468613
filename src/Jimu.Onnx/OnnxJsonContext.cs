using System.Text.Json.Serialization;

namespace Jimu.Onnx;

/// <summary>The JSON Jimu.Onnx writes into metadata_props of its own, by source-generated code (no reflection, for NativeAOT).</summary>
[JsonSerializable(typeof(Dictionary<string, long>))]
internal sealed partial class OnnxJsonContext : JsonSerializerContext;
