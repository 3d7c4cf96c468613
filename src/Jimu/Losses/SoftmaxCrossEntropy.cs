using Jimu.Tensors;

namespace Jimu.Losses;

/// <summary>
/// Softmax followed by cross-entropy against integer class labels, averaged over the batch (PyTorch's CrossEntropyLoss):
/// loss = (1/N) Σ_n [log Σ_k exp(z[n,k]) − z[n, label_n]], computed stably as m + log Σ_k exp(z[n,k] − m) with m = max_k z[n,k].
/// Gradient: dL/dz[n,k] = (softmax(z)[n,k] − onehot(label_n)[k]) / N.
/// </summary>
public sealed class SoftmaxCrossEntropy
{
    private Tensor? _probabilities, _gradient;
    private int[] _labels = [];

    /// <summary>softmax(z) of the last <see cref="Forward"/>, [N, K] (valid until the next call).</summary>
    public Tensor Probabilities => _probabilities ?? throw new InvalidOperationException("SoftmaxCrossEntropy: Forward has not been called.");

    /// <summary>Returns the batch-mean loss for logits [N, K] and N labels in [0, K).</summary>
    public double Forward(Tensor logits, ReadOnlySpan<int> labels)
    {
        if (logits.Rank != 2)
            throw new ShapeException(nameof(SoftmaxCrossEntropy), "logits", [ShapeException.Any, ShapeException.Any], logits.Shape.ToArray(), "[N, classes]");
        int n = logits.Dim(0), k = logits.Dim(1);
        if (n == 0 || k == 0)
            throw new ShapeException(nameof(SoftmaxCrossEntropy), "logits", [ShapeException.Any, ShapeException.Any], logits.Shape.ToArray(), "at least one sample and one class");
        if (labels.Length != n)
            throw new ShapeException(nameof(SoftmaxCrossEntropy), "labels", [n], [labels.Length], $"one label for each of the {n} samples");
        for (int i = 0; i < n; i++)
            if ((uint)labels[i] >= (uint)k)
                throw new ArgumentOutOfRangeException(nameof(labels), $"SoftmaxCrossEntropy: label {labels[i]} of sample {i} is out of range [0, {k}).");

        if (_labels.Length < n) _labels = new int[n];
        labels.CopyTo(_labels);
        var p = Tensor.Ensure(ref _probabilities, n, k);
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            var z = logits.Span.Slice(i * k, k);
            double logSumExp = SoftmaxRow(z, p.Span.Slice(i * k, k));
            total += logSumExp - z[labels[i]];
        }
        return total / n;
    }

    /// <summary>dL/dlogits [N, K] = (softmax − onehot) / N, for the last <see cref="Forward"/>. The tensor is reused by the next call.</summary>
    public Tensor Backward()
    {
        var p = Probabilities;
        int n = p.Dim(0), k = p.Dim(1);
        var g = Tensor.Ensure(ref _gradient, n, k);
        float invN = 1f / n;
        for (int i = 0; i < n; i++)
        {
            var pi = p.Span.Slice(i * k, k);
            var gi = g.Span.Slice(i * k, k);
            for (int j = 0; j < k; j++) gi[j] = pi[j] * invN;
            gi[_labels[i]] = (pi[_labels[i]] - 1f) * invN;
        }
        return g;
    }

    /// <summary>Writes softmax over the last axis of logits [N, K] into destination [N, K]: p[n,k] = exp(z[n,k] − m) / Σ_j exp(z[n,j] − m).</summary>
    public static void Softmax(Tensor logits, Tensor destination)
    {
        if (logits.Rank != 2)
            throw new ShapeException("Softmax", "logits", [ShapeException.Any, ShapeException.Any], logits.Shape.ToArray(), "[N, classes]");
        if (!destination.ShapeEquals(logits.Shape))
            throw new ShapeException("Softmax", "destination", logits.Shape.ToArray(), destination.Shape.ToArray(), "the logits' shape");
        int n = logits.Dim(0), k = logits.Dim(1);
        for (int i = 0; i < n; i++)
            SoftmaxRow(logits.Span.Slice(i * k, k), destination.Span.Slice(i * k, k));
    }

    /// <summary>p = softmax(z) for one row; returns log Σ exp(z) (computed in double, shifted by max z).</summary>
    private static double SoftmaxRow(ReadOnlySpan<float> z, Span<float> p)
    {
        float m = float.NegativeInfinity;
        foreach (float v in z) m = Math.Max(m, v);
        double sum = 0;
        for (int j = 0; j < z.Length; j++) sum += Math.Exp((double)z[j] - m);
        for (int j = 0; j < z.Length; j++) p[j] = (float)(Math.Exp((double)z[j] - m) / sum);
        return m + Math.Log(sum);
    }
}
