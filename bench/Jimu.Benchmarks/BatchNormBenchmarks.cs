using BenchmarkDotNet.Attributes;
using Jimu.Kernels;

namespace Jimu.Benchmarks;

/// <summary>
/// BatchNorm + ReLU over bn-cnn's block shapes at batch 64 (32 channels of 32×32, 64 of 16×16, 128 of 8×8), one
/// thread: the training forward pass (statistics, then normalise and rectify), the backward pass (sums, then dx), and
/// the ReLU alone forward and backward on the same tensor, what BatchNorm adds to.
/// </summary>
[MemoryDiagnoser]
public class BatchNormBenchmarks
{
    [Params("64x32x1024", "64x64x256", "64x128x64")] // n × channels × plane
    public string Shape { get; set; } = "";

    private ComputeContext _context = null!;
    private BatchNormChannels _channels = null!;
    private BatchNormTensors _t;
    private float[] _gamma = null!, _beta = null!, _dGamma = null!, _dBeta = null!;

    [GlobalSetup]
    public void Setup()
    {
        int[] d = [.. Shape.Split('x').Select(int.Parse)];
        int n = d[0], c = d[1], s = d[2], len = n * c * s;
        _context = new ComputeContext(1);
        var rng = new Random(1);
        float[] x = new float[len], dy = new float[len];
        for (int i = 0; i < len; i++) { x[i] = (float)(rng.NextDouble() * 2 - 0.5); dy[i] = (float)(rng.NextDouble() - 0.5); }
        _gamma = [.. Enumerable.Repeat(1f, c)]; _beta = new float[c]; _dGamma = new float[c]; _dBeta = new float[c];
        _channels = new BatchNormChannels(c);
        _t = new BatchNormTensors { X = x, N = n, Channels = c, S = s, Activation = BatchNormActivation.Relu, Y = new float[len], Dy = dy, Dx = new float[len] };
        Forward();
    }

    [Benchmark]
    public void Forward() => BatchNormKernel.Forward(_context, _t, _channels, training: true, _gamma, _beta, 1e-5);

    [Benchmark]
    public void Backward() => BatchNormKernel.Backward(_context, _t, _channels, trained: true, _gamma, _dGamma, _dBeta);

    [Benchmark]
    public void ReluAlone()
    {
        int len = _t.X.Length;
        ReluKernel.Forward(_context, _t.X, _t.Y!, len);
        ReluKernel.Backward(_context, _t.Y!, _t.Dy!, _t.Dx!, len);
    }

    [GlobalCleanup]
    public void Cleanup() => _context.Dispose();
}
