namespace Jimu.Cli.Serve;

/// <summary>How `jimu serve` listens and what it accepts.</summary>
public sealed record ServerOptions
{
    public required string ModelPath { get; init; }
    public Jimu.Models.Architecture? Architecture { get; init; }
    /// <summary>Address to bind: loopback unless said otherwise ("0.0.0.0" or "::" for every interface).</summary>
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>0: any free port (tests).</summary>
    public int Port { get; init; } = 5000;
    /// <summary>Largest request body in bytes (413 beyond).</summary>
    public long MaxBodyBytes { get; init; } = 10 * 1024 * 1024;
    /// <summary>Largest image in pixels before decoding (413 beyond): a small file can claim a huge picture.</summary>
    public long MaxPixels { get; init; } = 40_000_000;
    /// <summary>Dynamic batching: single-image /predict requests arriving within this window share one forward pass (zero: off).</summary>
    public TimeSpan BatchWindow { get; init; }
    /// <summary>Most images in one dynamic batch.</summary>
    public int MaxDynamicBatch { get; init; } = 64;
    /// <summary>Most images in one batch request.</summary>
    public int MaxBatch { get; init; } = 256;
}
