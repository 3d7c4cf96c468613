using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Jimu.Layers;

namespace Jimu.Models;

/// <summary>Reads 5 or [5] or [5, 3] as an int array, so that "kernel": 5 is allowed; writes one value as a number.</summary>
internal sealed class IntOrArrayConverter : JsonConverter<int[]>
{
    public override int[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => ReadInts(ref reader);

    public override void Write(Utf8JsonWriter writer, int[] value, JsonSerializerOptions options)
    {
        if (value.Length == 1) writer.WriteNumberValue(value[0]);
        else WriteInts(writer, value);
    }

    /// <summary>A number or an array of numbers.</summary>
    internal static int[] ReadInts(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number) return [reader.GetInt32()];
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("expected a number or an array of numbers");
        var values = new List<int>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number) throw new JsonException("expected a number or an array of numbers");
            values.Add(reader.GetInt32());
        }
        return [.. values];
    }

    internal static void WriteInts(Utf8JsonWriter writer, int[] value)
    {
        writer.WriteStartArray();
        foreach (int v in value) writer.WriteNumberValue(v);
        writer.WriteEndArray();
    }
}

/// <summary>Reads padding given as "same", "valid", 2, "1,2", [1, 2] or [t, b, l, r]; writes a number when all sides are equal, else the text form.</summary>
internal sealed class PaddingConverter : JsonConverter<Padding>
{
    public override Padding Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        try
        {
            return reader.TokenType == JsonTokenType.String
                ? Padding.Parse(reader.GetString()!)
                : Padding.Parse(string.Join(",", IntOrArrayConverter.ReadInts(ref reader)));
        }
        catch (Exception e) when (e is FormatException or ArgumentException or JsonException)
        {
            throw new JsonException("padding must be \"same\", \"valid\", a number p, [ph, pw] or [top, bottom, left, right] of non-negative numbers");
        }
    }

    public override void Write(Utf8JsonWriter writer, Padding value, JsonSerializerOptions options)
    {
        string text = value.ToString();
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int p)) writer.WriteNumberValue(p);
        else writer.WriteStringValue(text);
    }
}

/// <summary>
/// An enum as its lower-case name ("im2col", "adam"), read case-insensitively; numbers are refused, and an unknown
/// name gets a message listing the valid ones.
/// </summary>
internal sealed class EnumNameConverter<T> : JsonConverter<T> where T : struct, Enum
{
    /// <summary>The names, in declaration order.</summary>
    internal static IReadOnlyList<string> Names { get; } = Enum.GetNames<T>().Select(n => n.ToLowerInvariant()).ToArray();

    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        string? text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        if (text is not null && Parse(text) is { } value) return value;
        throw new JsonException($"{(text is null ? "expected a name" : $"unknown value '{text}'")}: use {Plain.List(Names)}");
    }

    /// <summary>The member whose name is <paramref name="text"/> (ignoring case), or null.</summary>
    internal static T? Parse(string text)
    {
        foreach (var v in Enum.GetValues<T>())
            if (string.Equals(v.ToString(), text.Trim(), StringComparison.OrdinalIgnoreCase)) return v;
        return null;
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString().ToLowerInvariant());
}

/// <summary>Plain-English lists for messages.</summary>
internal static class Plain
{
    /// <summary>"a, b or c".</summary>
    public static string List(IReadOnlyList<string> items) =>
        items.Count <= 1 ? string.Join("", items) : $"{string.Join(", ", items.Take(items.Count - 1))} or {items[^1]}";
}
