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
        try
        {
            var parse = root.Parse(args);
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
            // ArgumentException appends " (Parameter 'name')": noise for a command-line user.
            string message = e is ArgumentException { ParamName: { } param } a ? a.Message.Replace($" (Parameter '{param}')", "") : e.Message;
            err.WriteLine($"error: {OneLine(message)}");
            return 1;
        }
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

    /// <summary>Failures caused by the user's input (files, shapes, options), as opposed to bugs.</summary>
    public static bool IsUserError(Exception e) => e is JimuException or ShapeException or IOException
        or UnauthorizedAccessException or FormatException or ArgumentException or InvalidDataException
        or OperationCanceledException;
}
