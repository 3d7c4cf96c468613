using BenchmarkDotNet.Attributes;
using Jimu.Kernels;

namespace Jimu.Benchmarks;

/// <summary>
/// Gemm.Multiply on the seed network's shapes (batch 64) and a square, on 1 thread and on every core.
/// GFLOP/s = 2·m·n·k / mean time; `jimu bench gemm` reports the same as a percentage of the FMA peak.
/// </summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    public record Shape(string Name, int M, int N, int K, bool TransA, bool TransB)
    {
        public override string ToString() => $"{Name} {M}x{N}x{K}";
    }

    public static IEnumerable<Shape> Shapes =>
    [
        new("conv2 fwd batch", 64, 12544, 800, false, false),
        new("conv2 fwd image", 64, 196, 800, false, false),
        new("conv1 fwd image", 32, 784, 25, false, false),
        new("conv2 dW", 64, 800, 196, false, true),
        new("conv2 dcol", 800, 196, 64, true, false),
        new("fc1 fwd", 64, 512, 3136, false, true),
        new("fc1 dW", 512, 3136, 64, true, false),
        new("square", 1024, 1024, 1024, false, false),
    ];

    [ParamsSource(nameof(Shapes))]
    public Shape Case { get; set; } = null!;

    [Params(1, 0)] // 0: every core
    public int Threads { get; set; }

    private float[] _a = [], _b = [], _c = [];

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Threads = Threads == 0 ? Environment.ProcessorCount : Threads;
        var rng = new Random(1);
        _a = Random(rng, Case.M * Case.K);
        _b = Random(rng, Case.K * Case.N);
        _c = new float[Case.M * Case.N];
    }

    [Benchmark]
    public void Multiply() => Gemm.Multiply(Case.M, Case.N, Case.K,
        _a, Case.TransA ? Case.M : Case.K, Case.TransA, _b, Case.TransB ? Case.K : Case.N, Case.TransB, _c, Case.N);

    private static float[] Random(Random rng, int length)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}
