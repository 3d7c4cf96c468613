using System.CommandLine;
using Jimu.Tensors;

namespace Jimu.Cli;

/// <summary>Runs the command tree, turning expected failures into a one-line error and a non-zero exit code.</summary>
public static class Cli
{
    public static int Run(RootCommand root, string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        if (output is not null) config.Output = output;
        if (error is not null) config.Error = error;
        var err = error ?? Console.Error;
        try
        {
            return root.Parse(args).Invoke(config);
        }
        catch (Exception e) when (IsUserError(e))
        {
            err.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>Failures caused by the user's input (files, shapes, options), as opposed to bugs.</summary>
    public static bool IsUserError(Exception e) => e is JimuException or ShapeException or IOException
        or UnauthorizedAccessException or FormatException or ArgumentException or InvalidDataException
        or OperationCanceledException;
}
