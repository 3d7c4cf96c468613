using BenchmarkDotNet.Attributes;
using Jimu.Cli.Commands;
using Jimu.Kernels;

namespace Jimu.Benchmarks;

/// <summary>
/// Gemm.Multiply on the seed network's shapes (batch 64) and a square, on 1 thread and on every core.
/// GFLOP/s = 2·m·n·k / mean time; `jimu bench gemm` reports the same as a percentage of the FMA peak.
/// </summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    /// <summary>The dense shapes `jimu bench gemm` measures, minus the largest squares (BenchmarkDotNet repeats a lot).</summary>
    public static IEnumerable<BenchGemmCommand.Shape> Shapes => BenchGemmCommand.Shapes.Where(s => s.Zeros == 0 && s.M * (long)s.N * s.K <= 1L << 30);

    [ParamsSource(nameof(Shapes))]
    public BenchGemmCommand.Shape Case { get; set; } = null!;

    [Params(1, 0)] // 0: every core
    public int Threads { get; set; }

    private float[] _a = [], _b = [], _c = [];
    private ComputeContext _context = null!;

    [GlobalSetup]
    public void Setup()
    {
        _context = new ComputeContext(Threads == 0 ? Environment.ProcessorCount : Threads);
        var rng = new Random(1);
        _a = Random(rng, Case.M * Case.K);
        _b = Random(rng, Case.K * Case.N);
        _c = new float[Case.M * Case.N];
    }

    [Benchmark]
    public void Multiply() => Gemm.Multiply(_context, Case.M, Case.N, Case.K,
        _a, Case.TransA ? Case.M : Case.K, Case.TransA, _b, Case.TransB ? Case.K : Case.N, Case.TransB, _c, Case.N);

    [GlobalCleanup]
    public void Cleanup() => _context.Dispose();

    private static float[] Random(Random rng, int length)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}
