using System.Text.Json;

namespace Jimu.Cli.Serve;

/// <summary>
/// Reads `{"pixels": [...]}`: the model's input as numbers in [0, 1], flat or nested ([C][H][W], [H][W]), in
/// C, H, W order. Anything else is a <see cref="RequestError"/> (400) that says what was expected.
/// </summary>
public static class PixelsJson
{
    public static float[] Read(ReadOnlySpan<byte> json, int expected)
    {
        var values = new List<float>(expected);
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 8 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw Bad("the body must be a JSON object {\"pixels\": [...]}");
            bool found = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                reader.Read();
                if (name != "pixels") { reader.Skip(); continue; }
                if (reader.TokenType != JsonTokenType.StartArray) throw Bad("\"pixels\" must be an array of numbers");
                found = true;
                int depth = 0;
                do
                {
                    switch (reader.TokenType)
                    {
                        case JsonTokenType.StartArray: depth++; break;
                        case JsonTokenType.EndArray: depth--; break;
                        case JsonTokenType.Number:
                            if (values.Count == expected) throw Bad($"\"pixels\" has more than the model's {expected} input values");
                            double v = reader.GetDouble();
                            if (!(v >= 0 && v <= 1)) throw Bad($"pixel {values.Count} is {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}: pixels must be in [0, 1]");
                            values.Add((float)v);
                            break;
                        case JsonTokenType.String:
                            throw Bad($"pixel {values.Count} is the string \"{reader.GetString()}\": pixels must be numbers in [0, 1] (NaN and infinities are refused)");
                        default:
                            throw Bad($"pixel {values.Count} is {reader.TokenType}: pixels must be numbers in [0, 1]");
                    }
                } while (depth > 0 && reader.Read());
            }
            if (!found) throw Bad("the body has no \"pixels\" array");
        }
        catch (JsonException e) { throw Bad($"the body is not valid JSON ({e.Message})"); }
        if (values.Count != expected) throw Bad($"\"pixels\" has {values.Count} values; the model expects {expected}");
        return values.ToArray();
    }

    private static RequestError Bad(string message) => new(400, message);
}
