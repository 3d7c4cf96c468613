using Jimu.Tensors;

namespace Jimu.Training;

/// <summary>Classification metrics over logits [N, K].</summary>
public static class Metrics
{
    /// <summary>Index of the largest value in each row (the first one on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int k = 1; k < row.Length; k++) if (row[k] > row[best]) best = k;
        return best;
    }

    /// <summary>How many rows of <paramref name="logits"/> have their largest value at the label's index.</summary>
    public static int CountCorrect(Tensor logits, ReadOnlySpan<int> labels)
    {
        int k = logits.Dim(1), correct = 0;
        for (int i = 0; i < labels.Length; i++)
            if (ArgMax(logits.Data.AsSpan(i * k, k)) == labels[i]) correct++;
        return correct;
    }
}
