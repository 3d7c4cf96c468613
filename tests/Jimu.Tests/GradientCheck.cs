using Jimu.Layers;
using Jimu.Tensors;

namespace Jimu.Tests;

/// <summary>
/// Finite-difference gradient checks. The scalar checked is L = Σ r ⊙ layer(x) with a fixed random r,
/// evaluated in double, so dL/dy = r. Central differences: (L(θ+h) − L(θ−h)) / 2h.
/// </summary>
public static class GradientCheck
{
    public static Tensor Random(Random rng, params int[] shape)
    {
        var t = new Tensor(shape);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }

    /// <summary>Checks dL/dx and dL/dθ of every parameter, at up to <paramref name="samples"/> random coordinates each.</summary>
    public static void Check(Layer layer, Tensor x, int seed = 1, int samples = 60, float h = 1e-2f, double rtol = 2e-2, double atol = 2e-3)
    {
        var rng = new Random(seed);
        var y = layer.Forward(x);
        var r = Random(rng, y.Shape.ToArray());
        var dx = layer.Backward(r)?.Clone();
        var paramGrads = layer.Parameters.Select(p => p.Grad.Clone()).ToArray();

        double Loss()
        {
            var out_ = layer.Forward(x);
            double s = 0;
            for (int i = 0; i < out_.Length; i++) s += (double)out_.Data[i] * r.Data[i];
            return s;
        }

        if (dx is not null) Compare("input", x, dx, Loss, rng, samples, h, rtol, atol);
        for (int p = 0; p < paramGrads.Length; p++)
        {
            var parameter = layer.Parameters[p];
            // Each perturbation is a write: caches derived from the weights (Winograd's transform) must see it.
            double Perturbed() { parameter.MarkChanged(); return Loss(); }
            Compare(parameter.Name, parameter.Value, paramGrads[p], Perturbed, rng, samples, h, rtol, atol);
        }
    }

    private static void Compare(string what, Tensor theta, Tensor analytic, Func<double> loss, Random rng, int samples, float h, double rtol, double atol)
    {
        Assert.Equal(theta.Length, analytic.Length);
        var indices = theta.Length <= samples
            ? Enumerable.Range(0, theta.Length)
            : Enumerable.Range(0, samples).Select(_ => rng.Next(theta.Length));
        foreach (int i in indices)
        {
            float old = theta.Data[i];
            theta.Data[i] = old + h; double lp = loss();
            theta.Data[i] = old - h; double lm = loss();
            theta.Data[i] = old;
            // The perturbation actually applied in float32 may differ slightly from h.
            double numeric = (lp - lm) / ((double)(old + h) - (double)(old - h));
            double a = analytic.Data[i];
            double tol = atol + rtol * Math.Max(Math.Abs(a), Math.Abs(numeric));
            Assert.True(Math.Abs(a - numeric) <= tol,
                $"Gradient of {what}[{i}]: analytic {a:G6}, numeric {numeric:G6} (|diff| {Math.Abs(a - numeric):G3} > tol {tol:G3}).");
        }
    }

    /// <summary>
    /// Checks every element of <paramref name="analytic"/> = dLoss/d<paramref name="input"/> against central
    /// differences of <paramref name="loss"/>, which must read <paramref name="input"/>.
    /// </summary>
    public static void CheckLoss(Tensor input, Tensor analytic, Func<double> loss, double atol, float h = 1e-2f, double rtol = 1e-3)
    {
        for (int i = 0; i < input.Length; i++)
        {
            float old = input.Data[i];
            input.Data[i] = old + h; double lp = loss();
            input.Data[i] = old - h; double lm = loss();
            input.Data[i] = old;
            double numeric = (lp - lm) / ((double)(old + h) - (old - h));
            Assert.True(Math.Abs(numeric - analytic.Data[i]) <= atol + rtol * Math.Abs(numeric),
                $"element {i}: analytic {analytic.Data[i]}, numeric {numeric}");
        }
    }

    /// <summary>
    /// Two algorithms' results agree: max |a − b| ≤ <paramref name="relative"/> · max(1, largest |a|). Rounding grows
    /// with the terms summed, and the largest magnitude bounds them well enough for random data.
    /// </summary>
    public static void AssertAgree(Tensor expected, Tensor actual, string what, double relative = 1e-4)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        double scale = 1;
        for (int i = 0; i < expected.Length; i++) scale = Math.Max(scale, Math.Abs(expected.Data[i]));
        double diff = MaxAbsDiff(expected, actual);
        Assert.True(diff <= relative * scale, $"{what}: max |diff| {diff:G3} against magnitude {scale:G4}");
    }

    /// <summary>Largest absolute difference between two tensors of the same shape.</summary>
    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        Assert.True(a.ShapeEquals(b.Shape), $"Shapes differ: {a.ShapeString} vs {b.ShapeString}");
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs((double)a.Data[i] - b.Data[i]));
        return m;
    }
}
