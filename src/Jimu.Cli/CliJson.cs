using System.Text.Json;
using System.Text.Json.Serialization;
using Jimu.Data;
using Jimu.Models;

namespace Jimu.Cli;

/// <summary>
/// Everything the command prints or serves as JSON, serialised by source-generated code (no reflection: jimu publishes
/// with NativeAOT). Property names are snake_case; NaN and ±Infinity are written as "NaN" and "Infinity" rather than
/// failing a whole answer.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(PredictionRecord))]
[JsonSerializable(typeof(PredictionRecord[]))]
[JsonSerializable(typeof(EvalReport))]
[JsonSerializable(typeof(EpochLine))]
[JsonSerializable(typeof(Commands.BenchGemmCommand.Report))]
[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(Dictionary<string, object>[]))]
[JsonSerializable(typeof(ServeStatus))]
[JsonSerializable(typeof(ServeError))]
[JsonSerializable(typeof(ServeModel))]
[JsonSerializable(typeof(ServeFilters))]
[JsonSerializable(typeof(ServeInspection))]
// The runtime types behind `object` (a class is its name or its index; the bench reports' values).
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(float))]
[JsonSerializable(typeof(bool))]
internal sealed partial class CliJson : JsonSerializerContext;

/// <summary>`jimu eval --json`.</summary>
internal sealed record EvalReport(double Loss, double Accuracy, int Count, EvalClass[] PerClass, int[][] Confusion);

/// <summary>One class of <see cref="EvalReport"/>.</summary>
internal sealed record EvalClass(int Class, string? Name, double Precision, double Recall, int Support);

/// <summary>One line of `train --log jsonl`.</summary>
internal sealed record EpochLine(int Epoch, float Lr, double TrainLoss, double TrainAccuracy, double? TestLoss, double? TestAccuracy,
    double Seconds, double ImagesPerSecond);

/// <summary>GET /healthz.</summary>
internal sealed record ServeStatus(string Status);

/// <summary>Every error answer of `jimu serve`.</summary>
internal sealed record ServeError(string Error);

/// <summary>GET /model.</summary>
internal sealed record ServeModel(string Name, JsonElement Architecture, int[] Input, IReadOnlyList<string> Classes, long Parameters,
    Normalization? Normalization, DataDescription? TrainedOn, string[] Preprocess, ServeLimits Limits);

/// <summary>The request limits in GET /model.</summary>
internal sealed record ServeLimits(long MaxBodyBytes, long MaxPixels, int MaxBatch);

/// <summary>GET /filters.</summary>
internal sealed record ServeFilters(FeatureMaps Filters);

/// <summary>POST /inspect.</summary>
internal sealed record ServeInspection(ServeInput Input, FeatureMaps? Filters, FeatureMaps[] Convolutions, PredictionRecord Prediction);

/// <summary>The model's input as fed, in <see cref="ServeInspection"/>.</summary>
internal sealed record ServeInput(int Height, int Width, float[] Values, bool? Inverted);
