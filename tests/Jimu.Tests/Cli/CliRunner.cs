namespace Jimu.Tests.Cli;

/// <summary>Runs the jimu command tree in-process and captures what it prints.</summary>
public static class CliRunner
{
    private static readonly object Gate = new();

    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        // Console is process-wide: commands that print through Console (and Spectre) are serialised.
        lock (Gate)
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var oldOut = Console.Out; var oldErr = Console.Error;
            Console.SetOut(stdout); Console.SetError(stderr);
            var oldAnsi = Spectre.Console.AnsiConsole.Console;
            Spectre.Console.AnsiConsole.Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
            {
                Ansi = Spectre.Console.AnsiSupport.No,
                Interactive = Spectre.Console.InteractionSupport.No,
                Out = new Spectre.Console.AnsiConsoleOutput(stdout),
            });
            try
            {
                int code = Jimu.Cli.Cli.Run(Jimu.Cli.Cli.CreateRoot(), args, stdout, stderr);
                return (code, stdout.ToString(), stderr.ToString());
            }
            finally
            {
                Console.SetOut(oldOut); Console.SetError(oldErr);
                Spectre.Console.AnsiConsole.Console = oldAnsi;
            }
        }
    }
}
