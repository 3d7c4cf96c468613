using System.Text.Json;
using System.Text.Json.Serialization;

namespace Jimu.Models;

/// <summary>Reads 5 or [5] or [5, 3] as an int array, so that "kernel": 5 is allowed.</summary>
internal sealed class IntOrArrayConverter : JsonConverter<int[]>
{
    public override int[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number) return [reader.GetInt32()];
        return JsonSerializer.Deserialize<int[]>(ref reader) ?? throw new JsonException("expected a number or an array of numbers");
    }

    public override void Write(Utf8JsonWriter writer, int[] value, JsonSerializerOptions options)
    {
        if (value.Length == 1) writer.WriteNumberValue(value[0]);
        else JsonSerializer.Serialize(writer, value);
    }
}

/// <summary>Reads padding given as "same", 2, [1, 2] or [t, b, l, r] into the string form <see cref="Layers.Padding.Parse"/> takes.</summary>
internal sealed class PaddingConverter : JsonConverter<string>
{
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString()!,
        JsonTokenType.Number => reader.GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture),
        JsonTokenType.StartArray => string.Join(",", JsonSerializer.Deserialize<int[]>(ref reader)!),
        _ => throw new JsonException("padding must be \"same\", \"valid\", a number or an array of numbers"),
    };

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        if (int.TryParse(value, out int p)) writer.WriteNumberValue(p);
        else writer.WriteStringValue(value);
    }
}
