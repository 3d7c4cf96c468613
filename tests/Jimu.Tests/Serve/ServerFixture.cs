using Jimu.Cli.Serve;
using Jimu.Tests.Cli;
using Microsoft.AspNetCore.Builder;

namespace Jimu.Tests.Serve;

/// <summary>
/// `jimu serve`'s server on a free loopback port with the small digit model, and small limits
/// (200 kB bodies, one megapixel), shared by the server and browser tests.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public const long MaxBody = 200_000;
    public const long MaxPixels = 1_000_000;

    private WebApplication? _app;

    public string ModelPath => DigitModel.Path;
    public Uri BaseAddress { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var server = new JimuServer(new ServerOptions { ModelPath = ModelPath, Port = 0, MaxBodyBytes = MaxBody, MaxPixels = MaxPixels, MaxBatch = 8 });
        _app = server.Build();
        await _app.StartAsync();
        BaseAddress = new Uri(JimuServer.Addresses(_app).Single());
        Client = new HttpClient { BaseAddress = BaseAddress };
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null) await _app.DisposeAsync();
    }
}
