using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Jimu.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Jimu.Benchmarks.GemmBenchmarks).Assembly).Run(args);
