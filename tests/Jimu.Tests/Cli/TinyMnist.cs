namespace Jimu.Tests.Cli;

/// <summary>Writes a small MNIST-format data set: images whose class is readable from a bright row (learnable fast).</summary>
public static class TinyMnist
{
    public static void Write(string directory, int train = 64, int test = 32, int size = 28, int seed = 3)
    {
        Directory.CreateDirectory(directory);
        var rng = new Random(seed);
        WriteSplit(directory, "train", train, size, rng);
        WriteSplit(directory, "t10k", test, size, rng);
    }

    private static void WriteSplit(string dir, string prefix, int n, int size, Random rng)
    {
        var pixels = new byte[n * size * size];
        var labels = new byte[n];
        for (int i = 0; i < n; i++)
        {
            int label = i % 10;
            labels[i] = (byte)label;
            for (int j = 0; j < size * size; j++) pixels[i * size * size + j] = (byte)rng.Next(0, 40);
            int row = 2 + label * (size - 4) / 10;
            for (int x = 0; x < size; x++) pixels[i * size * size + row * size + x] = 255;
        }
        File.WriteAllBytes(Path.Combine(dir, $"{prefix}-images-idx3-ubyte"), Data.IdxBytes.Build(0x803, [n, size, size], pixels));
        File.WriteAllBytes(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte"), Data.IdxBytes.Build(0x801, [n], labels));
    }
}
