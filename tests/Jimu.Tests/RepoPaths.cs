namespace Jimu.Tests;

/// <summary>Paths inside the repository, found by walking up from the test binaries to the directory holding Jimu.sln.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> _root = new(FindRoot);

    /// <summary>The repository root (the directory containing Jimu.sln).</summary>
    public static string Root => _root.Value;

    /// <summary>The bundled MNIST sample, data/mnist-sample.</summary>
    public static string MnistSample => Path.Combine(Root, "data", "mnist-sample");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Jimu.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"No directory containing Jimu.sln above {AppContext.BaseDirectory}.");
    }
}
