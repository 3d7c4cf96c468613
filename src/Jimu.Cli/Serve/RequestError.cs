namespace Jimu.Cli.Serve;

/// <summary>A request the server refuses: the HTTP status and a one-line message for the JSON error body.</summary>
public sealed class RequestError(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
