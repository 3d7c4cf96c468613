using System.CommandLine;
using Jimu.Cli.Serve;
using Jimu.Models;
using Microsoft.Extensions.Hosting;

namespace Jimu.Cli.Commands;

/// <summary>`jimu serve`: the model behind HTTP, with the draw-a-digit page.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model();
        var arch = ModelOptions.Arch();
        var host = new Option<string>("--host") { Description = "Address to listen on: 127.0.0.1 (loopback, the default), localhost, 0.0.0.0 or :: (every interface), or one IP.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port (0: any free port).", DefaultValueFactory = _ => 5000 };
        var maxBody = new Option<double>("--max-body") { Description = "Largest request body in megabytes (413 beyond).", DefaultValueFactory = _ => 10 };
        var maxPixels = new Option<double>("--max-megapixels") { Description = "Largest image in megapixels, checked in its header before decoding (413 beyond).", DefaultValueFactory = _ => 40 };
        var window = new Option<double>("--batch-window") { Description = "Dynamic batching: single-image /predict requests arriving within this many milliseconds share one forward pass (0: off; answers may then differ from a lone prediction in the last bits)." };
        var cmd = new Command("serve", "Serve a model over HTTP: POST /predict, /predict/batch, /inspect; GET /model, /healthz; and a draw-a-digit page at /. Ctrl-C or SIGTERM stops it after the requests in flight.")
        {
            model, arch, host, port, maxBody, maxPixels, window,
        };
        cmd.SetAction(r =>
        {
            CommonOptions.ApplyThreads(r);
            if (r.GetValue(port) is < 0 or > 65535) throw new CommandLineException($"--port must be in 0–65535, got {r.GetValue(port)}.");
            if (!(r.GetValue(maxBody) > 0)) throw new CommandLineException("--max-body must be positive.");
            if (!(r.GetValue(maxPixels) > 0)) throw new CommandLineException("--max-megapixels must be positive.");
            if (!(r.GetValue(window) is >= 0 and <= 1000)) throw new CommandLineException("--batch-window must be in 0–1000 milliseconds.");
            var server = new JimuServer(new ServerOptions
            {
                ModelPath = r.GetValue(model)!,
                Architecture = r.GetValue(arch) is { } a ? Architecture.Resolve(a) : null,
                Host = r.GetValue(host)!,
                Port = r.GetValue(port),
                MaxBodyBytes = (long)(r.GetValue(maxBody) * 1024 * 1024),
                MaxPixels = (long)(r.GetValue(maxPixels) * 1e6),
                BatchWindow = TimeSpan.FromMilliseconds(r.GetValue(window)),
            });
            var app = server.Build();
            try { app.Start(); }
            catch (IOException e) { throw new CommandLineException($"cannot listen on {r.GetValue(host)}:{r.GetValue(port)}: {e.Message} (choose another --port).", e); }
            var m = server.Model;
            Console.Out.WriteLine($"Serving {m.Architecture.Name} ({m.Network.ParameterCount:N0} parameters) on {string.Join(", ", JimuServer.Addresses(app))}: open it in a browser to draw a digit. Ctrl-C stops.");
            Console.Out.Flush();
            // Returns on Ctrl-C or SIGTERM, after the requests in flight have been answered.
            app.WaitForShutdown();
            if (server.Batcher is { Batches: > 0 } b)
                Console.Out.WriteLine($"Dynamic batching: {b.Images:N0} images in {b.Batches:N0} forward passes ({(double)b.Images / b.Batches:F1} a pass).");
            Console.Out.WriteLine("Stopped.");
            return 0;
        });
        return cmd;
    }
}
