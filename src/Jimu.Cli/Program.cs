using Jimu.Cli;
using Spectre.Console;

// Redirected output is read by people in logs and by scripts: do not wrap lines at 80 columns.
if (Console.IsOutputRedirected) AnsiConsole.Console.Profile.Width = 200;

return Cli.Run(Cli.CreateRoot(), args);
