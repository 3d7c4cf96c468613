using System.CommandLine;
using Jimu.Cli.Commands;
using Jimu.Tensors;

namespace Jimu.Cli;

/// <summary>Runs the command tree, turning expected failures into a one-line error and a non-zero exit code.</summary>
public static class Cli
{
    /// <summary>The `jimu` command and its subcommands.</summary>
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("Jimu (积木): train, evaluate and run convolutional neural networks written from scratch in C#.");
        root.Options.Add(CommonOptions.Threads);
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(SummaryCommand.Create());
        root.Subcommands.Add(WriteImagesCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root;
    }

    public static int Run(RootCommand root, string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        if (output is not null) config.Output = output;
        if (error is not null) config.Error = error;
        var err = error ?? Console.Error;
        ParseResult? parse = null;
        try
        {
            parse = root.Parse(args);
            // Parse errors (unknown option, bad value, missing argument) as one line, like every other error;
            // --help still wins over them.
            if (parse.Errors.Count > 0 && parse.Action is System.CommandLine.Invocation.ParseErrorAction)
            {
                err.WriteLine($"error: {OneLine(PlainTypes(string.Join(" ", parse.Errors.Select(e => e.Message))))} (see --help)");
                return 1;
            }
            if (parse.Action is System.CommandLine.Help.HelpAction)
            {
                // The usage lines name the command as the runtime started it ("Jimu.Cli", the assembly); users type jimu.
                var help = new StringWriter();
                config.Output = help;
                int code = parse.Invoke(config);
                (output ?? Console.Out).Write(System.Text.RegularExpressions.Regex.Replace(help.ToString(),
                    $@"(?m)^(\s+){System.Text.RegularExpressions.Regex.Escape(root.Name)}\b", "${1}jimu"));
                return code;
            }
            return parse.Invoke(config);
        }
        catch (Exception e) when (IsUserError(e))
        {
            err.WriteLine($"error: {OneLine(ErrorHints.Explain(e, parse))}");
            return 1;
        }
        catch (Exception e)
        {
            // Not the user's input but a bug: the whole story goes to a log, the console says where.
            string? log = WriteCrashLog(e, args);
            err.WriteLine($"internal error: {e.GetType().Name}: {OneLine(e.Message)}; this is a bug in jimu, not a problem with your input. "
                + (log is null ? "The stack trace could not be written to a log:" : $"The stack trace is in {log}; please report it."));
            if (log is null) err.WriteLine(e);
            return InternalErrorExitCode;
        }
    }

    /// <summary>The exit code of a bug (BSD's EX_SOFTWARE), as opposed to 1 for bad input.</summary>
    public const int InternalErrorExitCode = 70;

    /// <summary>Writes the exception and the command line to jimu-crash-*.log in the temp folder; null when that fails.</summary>
    private static string? WriteCrashLog(Exception e, string[] args)
    {
        try
        {
            string path = Path.Combine(Path.GetTempPath(), $"jimu-crash-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}.log");
            File.WriteAllText(path, $"jimu {typeof(Cli).Assembly.GetName().Version} on .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}\n"
                + $"command: jimu {string.Join(' ', args)}\n\n{e}\n");
            return path;
        }
        catch (Exception x) when (x is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>System.CommandLine names .NET types in its messages ("expected type 'System.Int32'"); say what to type.</summary>
    internal static string PlainTypes(string message) =>
        System.Text.RegularExpressions.Regex.Replace(message, @"as expected type '([\w.`\[\]]+)'", m => m.Groups[1].Value switch
        {
            "System.Int32" or "System.Int64" => "as a whole number",
            "System.Single" or "System.Double" => "as a number",
            "System.Boolean" => "as true or false",
            var t => $"as a value of type {t.Split('.')[^1]}",
        });

    private static string OneLine(string message) =>
        System.Text.RegularExpressions.Regex.Replace(message, @"[\s\p{C}]+", " ").Trim();

    /// <summary>
    /// Failures caused by the user's input, as opposed to bugs: the library's typed errors (<see cref="JimuException"/>
    /// and its kinds), an invalid command line (<see cref="CommandLineException"/>), files that cannot be read or
    /// written (<see cref="IOException"/>, <see cref="UnauthorizedAccessException"/>) and a cancelled run. Anything else
    /// is a bug: an ArgumentException from inside the library (a <see cref="ShapeException"/> too: jimu resizes and
    /// converts every image to the model's input, and data, architectures and files are checked against the model
    /// with typed errors before a tensor reaches a layer), a FormatException, an InvalidDataException.
    /// </summary>
    public static bool IsUserError(Exception e) => e is JimuException or CommandLineException or IOException
        or UnauthorizedAccessException or OperationCanceledException;
}
