using Jimu.Data;
using Jimu.Models;
using Jimu.Training;

namespace Jimu.Tests.Cli;

/// <summary>A tiny architecture (conv 4×3×3 → ReLU → max-pool 2 → flatten → linear 10) and data for fast end-to-end tests.</summary>
public static class TinyModel
{
    public const string ArchJson = """
        {
          "name": "tiny",
          "input": [1, 28, 28],
          "layers": [
            { "type": "conv2d", "out_channels": 4, "kernel": 3 },
            { "type": "relu" },
            { "type": "maxpool2d", "kernel": 2 },
            { "type": "flatten" },
            { "type": "linear", "out_features": 10 }
          ]
        }
        """;

    public static Architecture Architecture => Architecture.FromJson(ArchJson, "tiny.json");

    /// <summary>Writes tiny.json into <paramref name="directory"/> and returns its path.</summary>
    public static string WriteArch(string directory)
    {
        string path = Path.Combine(directory, "tiny.json");
        File.WriteAllText(path, ArchJson);
        return path;
    }

    /// <summary>Writes the TinyMnist files into <paramref name="directory"/>/data and returns that directory.</summary>
    public static string WriteData(string directory)
    {
        string data = Path.Combine(directory, "data");
        TinyMnist.Write(data);
        return data;
    }

    public static MnistSplits LoadData(string directory) => MnistFolder.Load(WriteData(directory));

    public static float[][] Weights(Model model) => model.Network.Parameters.Select(p => p.Parameter.Value.Span.ToArray()).ToArray();

    /// <summary>Bit-for-bit comparison of two models' parameters (NaN-safe, −0 ≠ +0).</summary>
    public static bool SameBits(float[][] a, float[][] b) =>
        a.Length == b.Length && a.Zip(b).All(p => p.First.Length == p.Second.Length
            && p.First.Zip(p.Second).All(v => BitConverter.SingleToInt32Bits(v.First) == BitConverter.SingleToInt32Bits(v.Second)));
}
