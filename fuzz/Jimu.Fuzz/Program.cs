using Jimu.Fuzz;
using SharpFuzz;

// jimu-fuzz TARGET           : the afl++ loop (run under afl-fuzz through tools/fuzz.sh)
// jimu-fuzz TARGET FILE...   : runs the target once on each file (reproduce a crash outside afl)
// jimu-fuzz --write-seeds DIR: writes the generated part of the seed corpus
if (args is ["--write-seeds", var dir])
{
    SeedCorpus.Write(dir);
    return 0;
}
if (args.Length == 0 || !FuzzTargets.All.ContainsKey(args[0]))
{
    Console.Error.WriteLine($"usage: Jimu.Fuzz TARGET [FILE...]; targets: {string.Join(", ", FuzzTargets.All.Keys)}");
    return 2;
}
string target = args[0];
if (args.Length > 1)
{
    foreach (var file in args.Skip(1))
    {
        FuzzTargets.Run(target, File.ReadAllBytes(file));
        Console.WriteLine($"{file}: ok");
    }
    return 0;
}
// Out of process: a hang or a crash that takes the runtime down (stack overflow) is reported as such by afl
// instead of killing the fork server with it.
Fuzzer.OutOfProcess.Run(stream =>
{
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    FuzzTargets.Run(target, copy.ToArray());
});
return 0;
