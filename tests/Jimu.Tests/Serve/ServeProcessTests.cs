using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Jimu.Tests.Cli;

namespace Jimu.Tests.Serve;

/// <summary>`jimu serve` as a process: it starts, answers, and on SIGTERM finishes the request in flight and exits 0.</summary>
public sealed class ServeProcessTests
{
    /// <summary>A body sent in two halves, the second only when <see cref="Release"/> is called.</summary>
    private sealed class PausedContent(byte[] bytes) : HttpContent
    {
        private readonly TaskCompletionSource _firstHalfSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task FirstHalfSent => _firstHalfSent.Task;
        public void Release() => _release.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            int half = bytes.Length / 2;
            await stream.WriteAsync(bytes.AsMemory(0, half));
            await stream.FlushAsync();
            _firstHalfSent.TrySetResult();
            await _release.Task;
            await stream.WriteAsync(bytes.AsMemory(half));
        }

        protected override bool TryComputeLength(out long length) { length = bytes.Length; return true; }
    }

    [Fact]
    public async Task Sigterm_FinishesTheRequestInFlightThenExitsZero()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "sends SIGTERM with kill(1): POSIX only");
        string cli = typeof(Jimu.Cli.Cli).Assembly.Location;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { cli, "serve", "--model", DigitModel.Path, "--port", "0" }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        try
        {
            string? line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.NotNull(line);
            var match = Regex.Match(line, @"on (http://127\.0\.0\.1:\d+)");
            Assert.True(match.Success, line);
            using var client = new HttpClient { BaseAddress = new Uri(match.Groups[1].Value), Timeout = TimeSpan.FromSeconds(60) };
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);

            var content = new PausedContent(Png.Encode(200, 240, rgb: false, DrawnDigits.Render(DrawnDigits.Seven)));
            content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            var response = client.PostAsync("/predict?preprocess=mnist", content);
            await content.FirstHalfSent.WaitAsync(TimeSpan.FromSeconds(30));
            await Task.Delay(200); // let the server start reading the request
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) await kill.WaitForExitAsync();
            await Task.Delay(300);
            Assert.False(process.HasExited, "the server stopped before answering the request in flight");
            content.Release();
            var answer = await response;
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal(7, JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("class_index").GetInt32());

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, process.ExitCode);
            Assert.Contains("Stopped.", await process.StandardOutput.ReadToEndAsync());
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }
}

/// <summary>`jimu serve` refuses to start, with one line, when it cannot listen or its options are wrong.</summary>
public sealed class ServeStartErrorTests
{
    [Fact]
    public void PortInUse_BadHostAndBadOptions_OneLineErrors()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var (code, _, err) = CliRunner.Run("serve", "--model", DigitModel.Path, "--port", port.ToString());
            Assert.Equal(1, code);
            Assert.StartsWith($"error: cannot listen on 127.0.0.1:{port}", err);
            Assert.Contains("choose another --port", err);
        }
        finally { listener.Stop(); }
        foreach (var (args, expected) in new (string[], string)[]
        {
            (["--host", "example.com"], "is not an IP address"),
            (["--port", "70000"], "--port must be in 0–65535"),
            (["--max-body", "0"], "--max-body must be positive"),
            (["--batch-window", "-1"], "--batch-window must be in 0–1000"),
        })
        {
            var (code, _, err) = CliRunner.Run(["serve", "--model", DigitModel.Path, .. args]);
            Assert.Equal(1, code);
            Assert.Contains(expected, err);
        }
    }
}
