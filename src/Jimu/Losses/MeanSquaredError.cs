using Jimu.Tensors;

namespace Jimu.Losses;

/// <summary>
/// Mean squared error over all elements (PyTorch's MSELoss, reduction 'mean'): loss = (1/M) Σ_i (p[i] − t[i])²,
/// M = number of elements. Gradient: dL/dp[i] = 2 (p[i] − t[i]) / M.
/// </summary>
public sealed class MeanSquaredError
{
    private Tensor? _difference, _gradient;

    /// <summary>Returns the mean of (prediction − target)² over all elements; the shapes must be equal.</summary>
    public double Forward(Tensor prediction, Tensor target)
    {
        if (!prediction.ShapeEquals(target.Shape))
            throw new ShapeException(nameof(MeanSquaredError), "target", prediction.Shape.ToArray(), target.Shape.ToArray(), "the prediction's shape");
        if (prediction.Length == 0)
            throw new ShapeException(nameof(MeanSquaredError), "prediction", null, prediction.Shape.ToArray(), "at least one element");
        var d = Tensor.Ensure(ref _difference, prediction.Shape);
        var p = prediction.Span; var t = target.Span; var ds = d.Span;
        double sum = 0;
        for (int i = 0; i < ds.Length; i++)
        {
            double diff = (double)p[i] - t[i];
            ds[i] = (float)diff;
            sum += diff * diff;
        }
        return sum / ds.Length;
    }

    /// <summary>dL/dprediction = 2 (p − t) / M for the last <see cref="Forward"/>. The tensor is reused by the next call.</summary>
    public Tensor Backward()
    {
        var d = _difference ?? throw new InvalidOperationException("MeanSquaredError: Backward called before Forward.");
        var g = Tensor.Ensure(ref _gradient, d.Shape);
        float scale = 2f / d.Length;
        var ds = d.Span; var gs = g.Span;
        for (int i = 0; i < ds.Length; i++) gs[i] = ds[i] * scale;
        return g;
    }
}
