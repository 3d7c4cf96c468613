using Jimu.Fuzz;

namespace Jimu.Tests.Fuzz;

/// <summary>
/// The fuzz targets (fuzz/Jimu.Fuzz/FuzzTargets.cs) without afl: every seed, every input afl ever found crashing
/// (fuzz/regressions/TARGET/), and a few thousand seeded mutations of the seeds must end in the library's own
/// error or succeed, allocating no more than the input can justify. (tools/fuzz.sh runs the same targets under
/// afl++ for as long as one likes.)
/// </summary>
public class ParserRobustnessTests
{
    /// <summary>
    /// Managed bytes a target may allocate for an input of n bytes: gzip expands at most ~1032×, float16 doubles,
    /// the loader may build 2²⁴ values more than the file holds (to name the missing tensor). Architectures are
    /// bounded by <see cref="Jimu.Models.Architecture.MaxParameters"/> rather than by their size, and images are
    /// compressed (a PNG's pixels may be a thousand times its size): no bound by size for those two.
    /// </summary>
    private static long AllowedBytes(string target, long n) => target switch
    {
        "idx" => 1100 * n + (4 << 20),
        "safetensors" => 64 * n + (4 << 20),
        "model" => 64 * n + (160L << 20),
        _ => long.MaxValue,
    };

    private static void RunBounded(string target, byte[] input, string what)
    {
        // On a thread of its own, so that a hang (afl found two in the image decoder) fails the test instead of stalling it.
        var run = Task.Run(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Record.Exception(() => FuzzTargets.Run(target, input));
            return (Error: e, Allocated: GC.GetAllocatedBytesForCurrentThread() - before);
        });
        if (!run.Wait(TimeSpan.FromSeconds(60))) Assert.Fail($"{what}: still running after 60 s");
        var (e, allocated) = run.Result;
        Assert.True(e is null, $"{what}: {e}");
        Assert.True(allocated <= AllowedBytes(target, input.Length), $"{what}: {allocated:N0} bytes allocated for a {input.Length:N0}-byte input");
    }

    private static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Jimu.sln"))) return dir.FullName;
            throw new InvalidOperationException("Jimu.sln not found above the test binaries.");
        }
    }

    private static string[] Files(string kind, string target)
    {
        string dir = Path.Combine(RepoRoot, "fuzz", kind, target);
        return Directory.Exists(dir) ? Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToArray() : [];
    }

    public static TheoryData<string> Targets => new(FuzzTargets.All.Keys);

    [Theory]
    [MemberData(nameof(Targets))]
    public void SeedsAndRegressions_EndInTheLibrarysOwnError(string target)
    {
        var seeds = Files("corpus", target);
        Assert.NotEmpty(seeds);
        foreach (var file in seeds.Concat(Files("regressions", target)))
            RunBounded(target, File.ReadAllBytes(file), Path.GetFileName(file));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void SeededMutations_EndInTheLibrarysOwnError(string target)
    {
        var rng = new Random(target.Length * 7919 + 15);
        var seeds = Files("corpus", target).Select(File.ReadAllBytes).ToArray();
        for (int i = 0; i < 600; i++)
        {
            var input = Mutate(seeds[i % seeds.Length], rng);
            RunBounded(target, input, $"mutation {i} ({Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 64)))}…, {input.Length} bytes)");
        }
    }

    /// <summary>One to four of afl's havoc moves: flip a bit, set an interesting byte or a 32-bit value, cut, delete, duplicate.</summary>
    private static byte[] Mutate(byte[] seed, Random rng)
    {
        var b = new List<byte>(seed);
        ReadOnlySpan<int> interesting = [0, 1, -1, 0x7F, 0x80, 0xFF, 0x7FFFFFFF, int.MinValue, 0x10000, 1000000007];
        for (int moves = rng.Next(1, 5); moves > 0 && b.Count > 0; moves--)
        {
            int at = rng.Next(b.Count);
            switch (rng.Next(6))
            {
                case 0: b[at] ^= (byte)(1 << rng.Next(8)); break;
                case 1: b[at] = (byte)interesting[rng.Next(interesting.Length)]; break;
                case 2:
                    int v = interesting[rng.Next(interesting.Length)];
                    for (int k = 0; k < 4 && at + k < b.Count; k++) b[at + k] = (byte)(rng.Next(2) == 0 ? v >> (8 * k) : v >> (24 - 8 * k));
                    break;
                case 3: b.RemoveRange(at, b.Count - at); break;
                case 4: b.RemoveRange(at, Math.Min(rng.Next(1, 16), b.Count - at)); break;
                default: b.InsertRange(at, b.GetRange(at, Math.Min(rng.Next(1, 16), b.Count - at))); break;
            }
        }
        // Digits in JSON headers and architecture files: a number made huge or negative.
        if (rng.Next(4) == 0)
        {
            int digit = b.FindIndex(rng.Next(Math.Max(b.Count, 1)), x => x is >= (byte)'0' and <= (byte)'9');
            if (digit >= 0) b.InsertRange(digit, "-99999999999"u8.ToArray().Skip(rng.Next(2)).Take(rng.Next(2, 12)));
        }
        return b.ToArray();
    }
}
