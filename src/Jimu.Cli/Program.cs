using System.CommandLine;
using Jimu.Cli;
using Jimu.Cli.Commands;

var root = new RootCommand("Jimu (积木): train, evaluate and run convolutional neural networks written from scratch in C#.");
root.Options.Add(CommonOptions.Threads);
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(SummaryCommand.Create());
root.Subcommands.Add(BenchCommand.Create());

return Cli.Run(root, args);
