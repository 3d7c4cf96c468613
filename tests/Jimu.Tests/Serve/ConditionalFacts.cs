namespace Jimu.Tests.Serve;

/// <summary>A test that sends POSIX signals: skipped, with the reason, on Windows.</summary>
public sealed class PosixFactAttribute : FactAttribute
{
    public PosixFactAttribute()
    {
        if (OperatingSystem.IsWindows()) Skip = "sends SIGTERM with kill(1): POSIX only";
    }
}

/// <summary>
/// A test that drives Debian's headless Chromium through chromedriver: skipped, with the reason, where either is
/// missing (`apt-get install chromium chromium-driver`; .ci/run installs them).
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Browser = "/usr/bin/chromium", Driver = "/usr/bin/chromedriver";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Browser) || !File.Exists(Driver))
            Skip = $"needs {Browser} and {Driver} (Debian: apt-get install chromium chromium-driver)";
    }
}
