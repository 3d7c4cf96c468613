using BenchmarkDotNet.Attributes;
using Jimu.Kernels;
using Jimu.Layers;
using Jimu.Tensors;

namespace Jimu.Benchmarks;

/// <summary>
/// The seed network's conv2 (batch 64, 32→64 channels, 14×14, 5×5, padding 2), forward and forward + backward, by
/// im2col + GEMM and by Winograd F(2×2, 5×5), on 1 thread and on every core.
/// </summary>
[MemoryDiagnoser]
public class ConvBenchmarks
{
    [Params(ConvAlgorithm.Im2Col, ConvAlgorithm.Winograd)]
    public ConvAlgorithm Algorithm { get; set; }

    [Params(1, 0)] // 0: every core
    public int Threads { get; set; }

    private Conv2D _conv = null!;
    private Tensor _x = null!, _dy = null!;
    private ComputeContext _context = null!;

    [GlobalSetup]
    public void Setup()
    {
        _context = new ComputeContext(Threads == 0 ? Environment.ProcessorCount : Threads);
        var rng = new Random(1);
        _conv = new Conv2D(32, 64, 5, Padding.Symmetric(2), algorithm: Algorithm, name: "conv2");
        _conv.Context = _context;
        Jimu.Models.Initializer.Initialize(_conv, rng);
        _x = Random(rng, 64, 32, 14, 14);
        _dy = Random(rng, 64, 64, 14, 14);
    }

    [Benchmark]
    public Tensor Forward() => _conv.Forward(_x);

    [Benchmark]
    public Tensor? ForwardBackward()
    {
        _conv.Forward(_x);
        return _conv.Backward(_dy);
    }

    [GlobalCleanup]
    public void Cleanup() => _context.Dispose();

    private static Tensor Random(Random rng, params int[] shape)
    {
        var t = new Tensor(shape);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }
}
