using Jimu.Layers;
using Jimu.Tensors;

namespace Jimu.Models;

/// <summary>
/// PyTorch's default initialisation of Conv2d and Linear (BatchNorm: γ = 1, β = 0, fresh running statistics): kaiming_uniform_(a = √5) for the weight,
/// which is U(−1/√fan_in, 1/√fan_in), and the same bound for the bias; fan_in = in·kh·kw (conv) or in (linear).
/// The random stream is our own (seeded), so values differ from PyTorch's but follow the same distribution.
/// </summary>
public static class Initializer
{
    /// <summary>Fills every parameter of <paramref name="model"/> with PyTorch's default initialisation drawn from <paramref name="seed"/>.</summary>
    public static void Initialize(Sequential model, int seed)
    {
        var rng = new Random(seed);
        foreach (var layer in model.Layers) Initialize(layer, rng);
    }

    /// <summary>Initialises one layer's weight and bias (layers without a weight are left alone).</summary>
    public static void Initialize(Layer layer, Random rng)
    {
        if (layer is BatchNorm bn) { bn.ResetParameters(); return; } // γ = 1, β = 0, as PyTorch
        var ps = layer.Parameters;
        var weight = ps.FirstOrDefault(p => p.Name == "weight");
        if (weight is null) return;
        // fan_in: every weight dimension but the first (output) one.
        int fanIn = weight.Value.Length / weight.Value.Dim(0);
        float bound = 1f / MathF.Sqrt(fanIn);
        foreach (var p in ps)
        {
            Uniform(p.Value, bound, rng);
            p.MarkChanged();
        }
    }

    private static void Uniform(Tensor t, float bound, Random rng)
    {
        var d = t.Span;
        for (int i = 0; i < d.Length; i++) d[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
    }
}
