namespace Jimu.Cli.Serve;

/// <summary>The draw-a-digit page: page.html, embedded in the assembly.</summary>
public static class Page
{
    private static readonly Lazy<string> _html = new(() =>
    {
        using var stream = typeof(Page).Assembly.GetManifestResourceStream("Jimu.Cli.Serve.page.html")
            ?? throw new InvalidOperationException("The page (Jimu.Cli.Serve.page.html) is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static string Html => _html.Value;
}
