using Jimu.Data;
using Jimu.Losses;
using Jimu.Models;
using Jimu.Tensors;

namespace Jimu.Training;

/// <summary>Runs a model in evaluation mode over a labelled set, batch by batch.</summary>
public static class Evaluator
{
    /// <summary>Evaluates <paramref name="model"/> on <paramref name="data"/>, each batch normalised by <paramref name="normalization"/> first when given.</summary>
    public static Evaluation Evaluate(Sequential model, Dataset data, int batchSize = 256, Normalization? normalization = null)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"Batch size must be at least 1, got {batchSize}.");
        int classes = model.OutputShape[^1];
        var confusion = Enumerable.Range(0, classes).Select(_ => new int[classes]).ToArray();
        var loss = new SoftmaxCrossEntropy();
        bool wasTraining = model.Training;
        model.Training = false;
        try
        {
            int n = data.Count, per = data.SampleLength;
            double lossSum = 0; long correct = 0;
            Tensor? buffer = null;
            for (int start = 0; start < n; start += batchSize)
            {
                int count = Math.Min(batchSize, n - start);
                var batch = Tensor.Ensure(ref buffer, [count, .. model.InputShape]);
                data.CopyImages(start, count, batch.Span);
                normalization?.Apply(batch);
                var labels = data.Labels.AsSpan(start, count);
                foreach (int l in labels)
                    if ((uint)l >= (uint)classes) throw Trainer.LabelOutOfRange($"the data set '{data.Name}'", l, classes);
                var logits = model.Forward(batch);
                lossSum += loss.Forward(logits, labels) * count;
                for (int i = 0; i < count; i++)
                {
                    int p = Metrics.ArgMax(logits.Data.AsSpan(i * classes, classes));
                    confusion[labels[i]][p]++;
                    if (p == labels[i]) correct++;
                }
            }
            return new Evaluation(n == 0 ? double.NaN : lossSum / n, n == 0 ? double.NaN : (double)correct / n, n, confusion);
        }
        finally { model.Training = wasTraining; }
    }
}
