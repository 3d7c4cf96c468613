namespace Jimu;

/// <summary>An error caused by the user's input (a file, a setting, the data), with a message that says what to do.</summary>
public class JimuException(string message, Exception? inner = null) : Exception(message, inner);
