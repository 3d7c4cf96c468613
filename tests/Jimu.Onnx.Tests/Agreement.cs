namespace Jimu.Onnx.Tests;

/// <summary>Logits compared as the issue asks: within a tolerance relative to the largest |logit|, and the same argmax per row.</summary>
public static class Agreement
{
    public static void Logits(float[] expected, float[] actual, int rows, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(expected.Max(v => Math.Abs((double)v)), 1e-30);
        double worst = 0;
        int at = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs((double)expected[i] - actual[i]) / scale;
            if (d > worst) { worst = d; at = i; }
        }
        Assert.True(worst <= tolerance, $"largest difference {worst:E2} of the largest |logit| {scale:G4} at {at}: expected {expected[at]}, got {actual[at]}");
        int k = expected.Length / rows;
        for (int r = 0; r < rows; r++)
            Assert.Equal(ArgMax(expected.AsSpan(r * k, k)), ArgMax(actual.AsSpan(r * k, k)));
    }

    public static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    public static float[] Random(int count, int seed, float low = 0, float high = 1)
    {
        var rng = new System.Random(seed);
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = low + (high - low) * (float)rng.NextDouble();
        return v;
    }
}
