namespace Jimu.Tests.Serve;

/// <summary>
/// Debian's headless Chromium and its chromedriver, for the page's browser test: skipped, with the reason, where
/// either is missing (`apt-get install chromium chromium-driver`; .ci/run installs them).
/// </summary>
public static class Chromium
{
    public const string Browser = "/usr/bin/chromium", Driver = "/usr/bin/chromedriver";

    public static void SkipUnlessInstalled() =>
        Assert.SkipUnless(File.Exists(Browser) && File.Exists(Driver), $"needs {Browser} and {Driver} (Debian: apt-get install chromium chromium-driver)");
}
