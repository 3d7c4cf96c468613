using Jimu.Cli;

return Cli.Run(Cli.CreateRoot(), args);
