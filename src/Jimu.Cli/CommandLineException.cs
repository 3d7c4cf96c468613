namespace Jimu.Cli;

/// <summary>
/// A command line that cannot run as given: an option's value out of range, or options that cannot go together. The
/// message names the options (the library's own errors never do; <see cref="ErrorHints"/> adds them).
/// </summary>
public sealed class CommandLineException(string message, Exception? inner = null) : Exception(message, inner);
