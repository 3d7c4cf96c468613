namespace Jimu;

/// <summary>
/// An error caused by the user's input (a file, a setting, the data), with a message that says what is wrong in the
/// library's own words. Subclasses carry the data a caller needs to react (<see cref="ModelFileException.Path"/>,
/// <see cref="ArchitectureException.LayerIndex"/>, …); a program such as the <c>jimu</c> command maps them to its own hints.
/// </summary>
public class JimuException(string message, Exception? inner = null) : Exception(message, inner);
