namespace Jimu;

/// <summary>
/// A setting given as text that is not valid: <see cref="Setting"/> names it in the library's words
/// ("normalization", "validation split"), <see cref="Value"/> is what was given.
/// </summary>
public sealed class SettingException(string setting, string value, string message) : JimuException(message)
{
    /// <summary>The setting at fault.</summary>
    public string Setting { get; } = setting;
    /// <summary>The value given.</summary>
    public string Value { get; } = value;
}
