using System.CommandLine;

namespace Jimu.Cli.Commands;

/// <summary>`jimu bench …`: the benchmarks, each a subcommand with --json.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks: layer algorithms, GEMM and whole models.");
        bench.Subcommands.Add(BenchLayersCommand.Create());
        bench.Subcommands.Add(BenchModelCommand.Create());
        bench.Subcommands.Add(BenchModelCommand.CreateSuite());
        bench.Subcommands.Add(BenchGemmCommand.Create());
        return bench;
    }
}
