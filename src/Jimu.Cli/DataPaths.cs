namespace Jimu.Cli;

/// <summary>Where the bundled MNIST sample lives: next to the tool (packaged) or in the repository (dotnet run).</summary>
public static class DataPaths
{
    public const string BundledName = "mnist-sample";

    public static string DefaultDataDirectory()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "data", BundledName);
        if (Directory.Exists(beside)) return beside;
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "data", BundledName);
            if (Directory.Exists(candidate)) return candidate;
        }
        return beside;
    }
}
