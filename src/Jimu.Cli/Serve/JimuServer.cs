using System.Net;
using System.Text.Json;
using Jimu.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Jimu.Cli.Serve;

/// <summary>
/// `jimu serve`: a model behind HTTP (Kestrel, ASP.NET Core's shared framework).
/// <list type="bullet">
/// <item>GET / — the draw-a-digit page (embedded, works offline); GET /healthz; GET /model — architecture,
/// classes, input, parameter count, normalisation, limits.</item>
/// <item>POST /predict — one PNG or JPEG (image/png, image/jpeg) or JSON {"pixels": [...]}; answers the record of
/// `jimu predict --format json`. Query: preprocess=none|mnist, invert=true, top=K, input=true (add "seen": the
/// model's input).</item>
/// <item>POST /predict/batch — multipart/form-data, one image per part: an array of records.</item>
/// <item>POST /inspect — one image: conv1's filters, every convolution's feature maps, the prediction;
/// GET /inspect — the filters alone.</item>
/// </list>
/// Limits come before decoding: a body over <see cref="ServerOptions.MaxBodyBytes"/> or an image that claims more
/// than <see cref="ServerOptions.MaxPixels"/> gets 413, a wrong content type 415, anything unreadable 400; always a
/// JSON {"error": "..."} body. No request names a file: the model is fixed at start.
/// </summary>
public sealed class JimuServer
{
    private readonly ServerOptions _options;
    private readonly Model _model;
    private readonly int[] _shape;
    private readonly IReadOnlyList<string> _classes;
    private DynamicBatcher? _batcher;

    public JimuServer(ServerOptions options)
    {
        _options = options;
        _model = ModelOptions.Load(options.ModelPath, options.Architecture);
        _shape = _model.Network.InputShape;
        _classes = ClassNames.Of(_model, _model.Network.OutputShape[^1]);
    }

    /// <summary>With --batch-window: the batcher (its counts), else null.</summary>
    public DynamicBatcher? Batcher => _batcher;

    /// <summary>The one model every request runs on (its Predict and Inspect are reentrant).</summary>
    public Model Model => _model;

    /// <summary>Builds the web application (not started): Kestrel on <see cref="ServerOptions.Host"/>:<see cref="ServerOptions.Port"/>.</summary>
    public WebApplication Build()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            // Backstop; bodies are read with the same cap below so that the answer is a JSON 413.
            k.Limits.MaxRequestBodySize = _options.MaxBodyBytes + 65536;
            if (_options.Host == "localhost") k.ListenLocalhost(_options.Port);
            else if (IPAddress.TryParse(_options.Host, out var ip)) k.Listen(ip, _options.Port);
            else throw new CommandLineException($"--host '{_options.Host}' is not an IP address or 'localhost'; give e.g. 127.0.0.1 (loopback), 0.0.0.0 (every interface).");
        });
        var app = builder.Build();
        if (_options.BatchWindow > TimeSpan.Zero)
        {
            _batcher = new DynamicBatcher(_model, _options.BatchWindow, _options.MaxDynamicBatch, Environment.ProcessorCount);
            // After Kestrel has answered the requests in flight: nothing is left queued.
            app.Lifetime.ApplicationStopped.Register(() => _batcher.DisposeAsync().AsTask().Wait());
        }
        app.MapGet("/", () => Results.Text(Page.Html, "text/html; charset=utf-8"));
        app.MapGet("/healthz", () => Results.Json(new ServeStatus("ok"), CliJson.Default.ServeStatus));
        app.MapGet("/model", () => Results.Json(ModelInfo(), CliJson.Default.ServeModel));
        app.MapPost("/predict", (Func<HttpContext, Task<IResult>>)(c => Handle(c, PredictOne)));
        app.MapPost("/predict/batch", (Func<HttpContext, Task<IResult>>)(c => Handle(c, PredictBatch)));
        app.MapPost("/inspect", (Func<HttpContext, Task<IResult>>)(c => Handle(c, Inspect)));
        app.MapGet("/inspect", () => Inspection.FirstFilters(_model.Network) is { } f
            ? Results.Json(new ServeFilters(f), CliJson.Default.ServeFilters)
            : Error(404, "The model has no convolution: no filters to show."));
        app.MapFallback((HttpContext c) => Error(404, $"No endpoint {c.Request.Method} {c.Request.Path}: see GET /model, POST /predict, POST /predict/batch, POST /inspect."));
        return app;
    }

    /// <summary>The addresses Kestrel listens on, once started.</summary>
    public static IReadOnlyCollection<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];

    private ServeModel ModelInfo()
    {
        var m = _model;
        // The normalisation is applied by the model to [0, 1] pixels (null: fed as they are).
        return new ServeModel(m.Architecture.Name, JsonDocument.Parse(m.Architecture.ToJson()).RootElement, _shape, _classes,
            m.Network.ParameterCount, m.Normalization, m.TrainedOn, ["none", "mnist"],
            new ServeLimits(_options.MaxBodyBytes, _options.MaxPixels, _options.MaxBatch));
    }

    private async Task<IResult> Handle(HttpContext context, Func<HttpContext, Task<IResult>> handler)
    {
        try { return await handler(context); }
        catch (RequestError e) { return Error(e.Status, e.Message); }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (e.StatusCode == 413) { return Error(413, TooLarge(null).Message); }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) { return Error(e.StatusCode, e.Message); }
        catch (Exception e) when (Cli.IsUserError(e) && e is not OperationCanceledException) { return Error(400, e.Message); }
    }

    private static IResult Error(int status, string message) => Results.Json(new ServeError(message), CliJson.Default.ServeError, statusCode: status);

    private async Task<IResult> PredictOne(HttpContext c)
    {
        var query = Query.From(c.Request);
        var input = await ReadInput(c, query);
        var prediction = _batcher is not null
            ? await _batcher.PredictAsync(input.Pixels)
            : _model.Predict(new Jimu.Tensors.Tensor(input.Pixels, [1, .. _shape]))[0];
        return Results.Json(Record(input, 0, prediction, query), CliJson.Default.PredictionRecord);
    }

    /// <summary>The body of /predict and /inspect: JSON pixels or one PNG or JPEG.</summary>
    private async Task<Input> ReadInput(HttpContext c, Query query)
    {
        string type = MediaType(c.Request);
        return type == "application/json"
            ? new Input("pixels", PixelsJson.Read(await ReadBody(c), Count), null)
            : Decode(await ReadBody(c), type, "image", query);
    }

    private async Task<IResult> PredictBatch(HttpContext c)
    {
        var query = Query.From(c.Request);
        if (!c.Request.HasFormContentType || MediaType(c.Request) != "multipart/form-data")
            throw new RequestError(415, $"POST /predict/batch takes multipart/form-data (one image a part), got '{c.Request.ContentType}'.");
        if (c.Request.ContentLength > _options.MaxBodyBytes) throw TooLarge(c.Request.ContentLength.Value);
        var form = await c.Request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions
        {
            MultipartBodyLengthLimit = _options.MaxBodyBytes,
            ValueCountLimit = 2 * _options.MaxBatch + 16, // beyond MaxBatch: a JSON 413 below
            BufferBodyLengthLimit = _options.MaxBodyBytes,
        }, c.RequestAborted);
        if (form.Files.Count == 0) throw new RequestError(400, "The request has no file parts: send each image as a file part of multipart/form-data.");
        if (form.Files.Count > _options.MaxBatch) throw new RequestError(413, $"{form.Files.Count} images in one request; at most {_options.MaxBatch}.");
        var inputs = new List<Input>();
        foreach (var file in form.Files)
        {
            string name = string.IsNullOrEmpty(file.FileName) ? file.Name : file.FileName;
            string partType = file.ContentType is { Length: > 0 } t ? MediaTypeHeaderValue.Parse(t).MediaType.ToString().ToLowerInvariant() : "application/octet-stream";
            using var ms = new MemoryStream();
            await file.CopyToAsync(ms, c.RequestAborted);
            inputs.Add(Decode(ms.ToArray(), partType, name, query));
        }
        var batch = new Jimu.Tensors.Tensor([inputs.Count, .. _shape]);
        for (int i = 0; i < inputs.Count; i++) inputs[i].Pixels.CopyTo(batch.Data, i * Count);
        var predictions = _model.Predict(batch);
        return Results.Json(predictions.Select((p, i) => Record(inputs[i], i, p, query)).ToArray(), CliJson.Default.PredictionRecordArray);
    }

    private async Task<IResult> Inspect(HttpContext c)
    {
        var query = Query.From(c.Request);
        var input = await ReadInput(c, query);
        var inspection = _model.Inspect(input.Pixels);
        return Results.Json(new ServeInspection(
            new ServeInput(_shape[1], _shape[2], input.Pixels, input.Inverted),
            inspection.Filters,
            [.. inspection.Convolutions],
            PredictionRecord.From(input.Name, 0, inspection.Prediction, _classes.Count, _model.Classes)), CliJson.Default.ServeInspection);
    }

    private int Count => _shape[0] * _shape[1] * _shape[2];

    /// <summary>An image or pixel array turned into the model's input.</summary>
    private sealed record Input(string Name, float[] Pixels, bool? Inverted);

    private sealed record Query(ImageInput.Preprocess Preprocess, bool Invert, int Top, bool IncludeInput)
    {
        public static Query From(HttpRequest r)
        {
            var preprocess = r.Query["preprocess"].ToString() switch
            {
                "" or "none" => ImageInput.Preprocess.None,
                "mnist" => ImageInput.Preprocess.Mnist,
                var other => throw new RequestError(400, $"preprocess={other}: use none or mnist."),
            };
            bool invert = Flag(r, "invert");
            if (invert && preprocess == ImageInput.Preprocess.Mnist) throw new RequestError(400, "invert and preprocess=mnist cannot be used together: mnist inverts a light background itself.");
            int top = 1;
            if (r.Query["top"].ToString() is { Length: > 0 } t && (!int.TryParse(t, out top) || top < 1))
                throw new RequestError(400, $"top={t}: give a whole number of at least 1.");
            return new Query(preprocess, invert, top, Flag(r, "input"));
        }

        private static bool Flag(HttpRequest r, string name) => r.Query[name].ToString() switch
        {
            "" or "false" or "0" => false,
            "true" or "1" => true,
            var other => throw new RequestError(400, $"{name}={other}: use true or false."),
        };
    }

    private PredictionRecord Record(Input input, int index, Prediction p, Query query)
    {
        var record = PredictionRecord.From(input.Name, index, p, query.Top, _model.Classes);
        return query.IncludeInput ? record with { Seen = input.Pixels, Inverted = input.Inverted ?? false } : record;
    }

    private static string MediaType(HttpRequest r) =>
        MediaTypeHeaderValue.TryParse(r.ContentType, out var t) ? t.MediaType.ToString().ToLowerInvariant() : "";

    /// <summary>Reads the whole body, refusing (413) before reading past the limit.</summary>
    private async Task<byte[]> ReadBody(HttpContext c)
    {
        long limit = _options.MaxBodyBytes;
        if (c.Request.ContentLength is { } declared && declared > limit) throw TooLarge(declared);
        using var ms = new MemoryStream((int)Math.Min(c.Request.ContentLength ?? 16384, limit));
        var buffer = new byte[16384];
        int n;
        while ((n = await c.Request.Body.ReadAsync(buffer, c.RequestAborted)) > 0)
        {
            if (ms.Length + n > limit) throw TooLarge(null);
            ms.Write(buffer, 0, n);
        }
        if (ms.Length == 0) throw new RequestError(400, "The request body is empty: send a PNG or JPEG image, or JSON {\"pixels\": [...]}.");
        return ms.ToArray();
    }

    private RequestError TooLarge(long? size) => new(413,
        $"The request body {(size is { } s ? $"has {s:N0} bytes" : "is larger than the limit")}; at most {_options.MaxBodyBytes:N0} bytes (--max-body).");

    /// <summary>Checks the type and the claimed size, then decodes and prepares the image as `jimu predict` does.</summary>
    private Input Decode(byte[] bytes, string type, string name, Query query)
    {
        if (type is not ("image/png" or "image/jpeg" or "image/jpg"))
            throw new RequestError(415, $"Content type '{type}' is not accepted: send image/png, image/jpeg or application/json ({{\"pixels\": [...]}}).");
        if (_shape[0] != 1)
            throw new RequestError(415, $"This model takes {_shape[0]}-channel images and the server decodes pictures to grey only: send application/json {{\"pixels\": [...]}} with {Count} values.");
        byte[] grey; int h, w;
        try { (grey, h, w) = ImageInput.DecodeGrey(bytes, name, _options.MaxPixels); }
        catch (ImageTooLargeException e) { throw new RequestError(413, e.Message + " (--max-megapixels)"); }
        var item = ImageInput.FromGrey(name, grey, h, w, _shape[1], _shape[2], query.Invert, query.Preprocess);
        return new Input(name, item.Pixels, item.Inverted);
    }
}
