namespace Jimu.Tests.Data;

/// <summary>Builds IDX files byte by byte for the tests.</summary>
internal static class IdxBytes
{
    public static byte[] Build(int magic, int[] dims, byte[] payload) => Jimu.Fuzz.SeedCorpus.Idx(magic, dims, payload);

    /// <summary>An images file of <paramref name="n"/> images of rows × cols; pixel i is (seed + i) mod 256.</summary>
    public static byte[] Images(int n, int rows, int cols, int seed = 0) =>
        Build(0x00000803, [n, rows, cols], Enumerable.Range(0, n * rows * cols).Select(i => (byte)(seed + i)).ToArray());

    public static byte[] Labels(params byte[] labels) => Build(0x00000801, [labels.Length], labels);

    public static byte[] Gzip(byte[] raw) => Jimu.Fuzz.SeedCorpus.Gzip(raw);
}
