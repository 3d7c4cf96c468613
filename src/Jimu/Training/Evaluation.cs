namespace Jimu.Training;

/// <summary>
/// Loss, accuracy and the confusion matrix on a labelled set. Confusion[t][p] counts images of true class t
/// predicted as p. Precision of class c = Confusion[c][c] / Σₜ Confusion[t][c]; recall = Confusion[c][c] / Σₚ Confusion[c][p]
/// (0 when the denominator is 0).
/// </summary>
public sealed record Evaluation(double Loss, double Accuracy, int Count, int[][] Confusion)
{
    /// <summary>Number of classes (the size of the confusion matrix).</summary>
    public int Classes => Confusion.Length;

    /// <summary>Of the images predicted as class <paramref name="c"/>, the share that are; NaN when none was predicted.</summary>
    public double Precision(int c)
    {
        long predicted = 0;
        for (int t = 0; t < Classes; t++) predicted += Confusion[t][c];
        return predicted == 0 ? 0 : (double)Confusion[c][c] / predicted;
    }

    /// <summary>Of the images of class <paramref name="c"/>, the share predicted as it; NaN when there are none.</summary>
    public double Recall(int c)
    {
        long actual = Confusion[c].Sum(v => (long)v);
        return actual == 0 ? 0 : (double)Confusion[c][c] / actual;
    }
}
