using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Jimu.Models;
using Jimu.Cli.Serve;
using Jimu.Tests.Cli;

namespace Jimu.Tests.Serve;

[CollectionDefinition("server")]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>;

/// <summary>The HTTP API: answers equal to `jimu predict`, every input form, and bad requests refused with JSON.</summary>
[Collection("server")]
public sealed class ServerTests(ServerFixture server) : IDisposable
{
    private readonly TempDirectory _dir = new();
    private HttpClient Client => server.Client;

    public void Dispose() => _dir.Dispose();

    private static byte[] SevenPng => Png.Encode(200, 240, rgb: false, DrawnDigits.Render(DrawnDigits.Seven));
    private static byte[] ThreePng => Png.Encode(200, 240, rgb: false, DrawnDigits.Render(DrawnDigits.Three));

    private static ByteArrayContent Image(byte[] bytes, string type = "image/png")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private async Task AssertError(HttpResponseMessage response, HttpStatusCode status, string expected)
    {
        var e = await Json(response, status);
        Assert.Contains(expected, e.GetProperty("error").GetString());
        // The server goes on serving.
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/healthz")).StatusCode);
    }

    private static float[] Floats(JsonElement array) => array.EnumerateArray().Select(v => v.GetSingle()).ToArray();

    [Fact]
    public async Task Health_Model_AndThePage()
    {
        Assert.Equal("ok", (await Json(await Client.GetAsync("/healthz"))).GetProperty("status").GetString());
        var m = await Json(await Client.GetAsync("/model"));
        Assert.Equal("digits-small", m.GetProperty("name").GetString());
        Assert.Equal([1, 28, 28], m.GetProperty("input").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString()), m.GetProperty("classes").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(Jimu.Models.Model.Load(server.ModelPath).Network.ParameterCount, m.GetProperty("parameters").GetInt64());
        Assert.Equal(8, m.GetProperty("architecture").GetProperty("layers").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, m.GetProperty("normalization").ValueKind);
        var page = await Client.GetAsync("/");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<canvas id=\"pad\"", html);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", "")); // nothing fetched from elsewhere
        Assert.DoesNotContain("https://", html);
    }

    [Fact]
    public async Task Predict_EqualsJimuPredict_ForPngsAndPixels()
    {
        string seven = _dir.File("seven.png"), three = _dir.File("three.png");
        File.WriteAllBytes(seven, SevenPng);
        File.WriteAllBytes(three, ThreePng);
        foreach (var preprocess in new[] { "none", "mnist" })
        {
            var (code, output, err) = CliRunner.Run("predict", "--model", server.ModelPath, seven, three, "--format", "json", "--preprocess", preprocess);
            Assert.True(code == 0, err);
            var cli = JsonDocument.Parse(output).RootElement.EnumerateArray().ToArray();
            for (int i = 0; i < 2; i++)
            {
                var r = await Json(await Client.PostAsync($"/predict?preprocess={preprocess}&input=true", Image(File.ReadAllBytes(i == 0 ? seven : three))));
                Assert.Equal(cli[i].GetProperty("class_index").GetInt32(), r.GetProperty("class_index").GetInt32());
                Assert.Equal(Floats(cli[i].GetProperty("logits")), Floats(r.GetProperty("logits"))); // bit for bit
                Assert.Equal(Floats(cli[i].GetProperty("probabilities")), Floats(r.GetProperty("probabilities")));
                if (preprocess == "mnist") Assert.Equal(i == 0 ? 7 : 3, r.GetProperty("class_index").GetInt32());

                // The image the model saw, sent back as pixels (flat, then nested [C][H][W]), gives the same answer.
                float[] seen = Floats(r.GetProperty("seen"));
                Assert.Equal(784, seen.Length);
                var flat = await Json(await Client.PostAsync("/predict", new StringContent(JsonSerializer.Serialize(new { pixels = seen }), Encoding.UTF8, "application/json")));
                Assert.Equal(Floats(r.GetProperty("logits")), Floats(flat.GetProperty("logits")));
                var nested = new[] { Enumerable.Range(0, 28).Select(y => seen[(y * 28)..(y * 28 + 28)]).ToArray() };
                var n = await Json(await Client.PostAsync("/predict", new StringContent(JsonSerializer.Serialize(new { pixels = nested }), Encoding.UTF8, "application/json")));
                Assert.Equal(Floats(r.GetProperty("logits")), Floats(n.GetProperty("logits")));
            }
        }
    }

    [Fact]
    public async Task Batch_OneRecordPerPartInOrder()
    {
        using var form = new MultipartFormDataContent
        {
            { Image(SevenPng), "images", "seven.png" },
            { Image(ThreePng), "images", "three.png" },
            { Image(SevenPng), "images", "again.png" },
        };
        var r = await Json(await Client.PostAsync("/predict/batch?preprocess=mnist&top=2", form));
        var items = r.EnumerateArray().ToArray();
        Assert.Equal(["seven.png", "three.png", "again.png"], items.Select(i => i.GetProperty("input").GetString()));
        Assert.Equal([0, 1, 2], items.Select(i => i.GetProperty("index").GetInt32()));
        Assert.Equal([7, 3, 7], items.Select(i => i.GetProperty("class_index").GetInt32()));
        Assert.All(items, i => Assert.Equal(2, i.GetProperty("top").GetArrayLength()));
        var single = await Json(await Client.PostAsync("/predict?preprocess=mnist", Image(ThreePng)));
        Assert.Equal(Floats(single.GetProperty("logits")), Floats(items[1].GetProperty("logits")));
    }

    [Fact]
    public async Task Inspect_FiltersAndFeatureMaps()
    {
        var r = await Json(await Client.PostAsync("/inspect?preprocess=mnist", Image(SevenPng)));
        var filters = r.GetProperty("filters");
        Assert.Equal("conv1", filters.GetProperty("layer").GetString());
        Assert.Equal((8, 5, 5), (filters.GetProperty("channels").GetInt32(), filters.GetProperty("height").GetInt32(), filters.GetProperty("width").GetInt32()));
        var weights = Jimu.Models.Model.Load(server.ModelPath).Network.Parameter("conv1.weight").Value.Span.ToArray();
        Assert.Equal(weights, Floats(filters.GetProperty("values")));
        var convs = r.GetProperty("convolutions").EnumerateArray().ToArray();
        Assert.Equal(["conv1", "conv2"], convs.Select(c => c.GetProperty("layer").GetString()));
        Assert.Equal(8 * 28 * 28, convs[0].GetProperty("values").GetArrayLength());
        Assert.Equal(16 * 14 * 14, convs[1].GetProperty("values").GetArrayLength());
        Assert.Equal(7, r.GetProperty("prediction").GetProperty("class_index").GetInt32());
        var predict = await Json(await Client.PostAsync("/predict?preprocess=mnist", Image(SevenPng)));
        Assert.Equal(Floats(predict.GetProperty("logits")), Floats(r.GetProperty("prediction").GetProperty("logits")));
        var get = await Json(await Client.GetAsync("/inspect"));
        Assert.Equal(weights, Floats(get.GetProperty("filters").GetProperty("values")));
    }

    [Fact]
    public async Task ParallelRequests_AllAnsweredAsOneAtATime()
    {
        var expected = await Json(await Client.PostAsync("/predict?preprocess=mnist", Image(ThreePng)));
        var answers = await Task.WhenAll(Enumerable.Range(0, 24).Select(async _ =>
            await Json(await Client.PostAsync("/predict?preprocess=mnist", Image(ThreePng)))));
        Assert.All(answers, a => Assert.Equal(Floats(expected.GetProperty("logits")), Floats(a.GetProperty("logits"))));
    }

    [Fact]
    public async Task BodyOverTheLimit_413_WithOrWithoutLength()
    {
        var big = new byte[ServerFixture.MaxBody + 1];
        SevenPng.CopyTo(big, 0);
        await AssertError(await Client.PostAsync("/predict", Image(big)), HttpStatusCode.RequestEntityTooLarge, "at most 200,000 bytes");
        // Chunked, so the size is known only while reading.
        var chunked = new StreamContent(new MemoryStream(big));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        var request = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await AssertError(await Client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge, "larger than the limit");
    }

    [Fact]
    public async Task DecompressionBomb_413_BeforeDecoding()
    {
        // A 60-byte PNG that claims 20000×20000 pixels (400 megapixels).
        var png = Png.Encode(1, 1, rgb: false, [0]);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 20000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 20000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Png.Crc32(png.AsSpan(12, 17)));
        await AssertError(await Client.PostAsync("/predict", Image(png)), HttpStatusCode.RequestEntityTooLarge, "400.0 megapixels");
    }

    [Fact]
    public async Task JpegClaimingTooManyPixels_413_BeforeDecoding()
    {
        // SOI, a baseline SOF0 header claiming 30000×30000 grey pixels, EOI: 21 bytes.
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x75, 0x30, 0x75, 0x30, 0x01, 0x01, 0x11, 0x00, 0xFF, 0xD9];
        await AssertError(await Client.PostAsync("/predict", Image(jpeg, "image/jpeg")), HttpStatusCode.RequestEntityTooLarge, "900.0 megapixels");
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/octet-stream")]
    [InlineData("image/gif")]
    public async Task WrongContentType_415(string type) =>
        await AssertError(await Client.PostAsync("/predict", Image(SevenPng, type)), HttpStatusCode.UnsupportedMediaType, "is not accepted");

    [Fact]
    public async Task BatchNotMultipart_415_AndTooManyParts_413()
    {
        await AssertError(await Client.PostAsync("/predict/batch", Image(SevenPng)), HttpStatusCode.UnsupportedMediaType, "multipart/form-data");
        using var form = new MultipartFormDataContent();
        for (int i = 0; i < 9; i++) form.Add(Image(Png.Encode(8, 8, false, new byte[64])), "images", $"{i}.png");
        await AssertError(await Client.PostAsync("/predict/batch", form), HttpStatusCode.RequestEntityTooLarge, "at most 8");
    }

    [Theory]
    [InlineData("image/png", "not a png at all", "not a PNG or JPEG")]
    [InlineData("image/png", "\u0089PNG\r\n\u001a\n truncated", "cannot")]
    [InlineData("image/jpeg", "\u00ff\u00d8\u00ff\u00e0\u00ff\u00ff", "JPEG")]
    [InlineData("application/json", "{\"pixels\": [0.5, 0.5]}", "has 2 values; the model expects 784")]
    [InlineData("application/json", "{\"pixels\": [\"NaN\"]}", "NaN")]
    [InlineData("application/json", "{\"pixels\": [1.5]}", "must be in [0, 1]")]
    [InlineData("application/json", "{\"pixels\": [0.5,", "not valid JSON")]
    [InlineData("application/json", "{\"values\": []}", "no \\\"pixels\\\"")]
    [InlineData("application/json", "[1, 2]", "JSON object")]
    public async Task BadBodies_400(string type, string body, string expected)
    {
        var content = new ByteArrayContent(body.Select(c => (byte)c).ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        var e = await Json(await Client.PostAsync("/predict", content), HttpStatusCode.BadRequest);
        Assert.Contains(expected.Replace("\\\"", "\""), e.GetProperty("error").GetString());
    }

    [Fact]
    public async Task TooManyPixels_400()
    {
        var e = await Json(await Client.PostAsync("/predict", new StringContent(JsonSerializer.Serialize(new { pixels = new float[785] }), Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        Assert.Contains("more than the model's 784", e.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("/predict?preprocess=fancy", "preprocess=fancy")]
    [InlineData("/predict?top=0", "top=0")]
    [InlineData("/predict?invert=maybe", "invert=maybe")]
    [InlineData("/predict?invert=true&preprocess=mnist", "cannot be used together")]
    public async Task BadQuery_400(string url, string expected) =>
        await AssertError(await Client.PostAsync(url, Image(SevenPng)), HttpStatusCode.BadRequest, expected);

    [Fact]
    public async Task EmptyBody_400_UnknownPath_404()
    {
        await AssertError(await Client.PostAsync("/predict", Image([])), HttpStatusCode.BadRequest, "empty");
        await AssertError(await Client.GetAsync("/models/../../etc/passwd"), HttpStatusCode.NotFound, "No endpoint");
        await AssertError(await Client.GetAsync("/predict"), HttpStatusCode.NotFound, "No endpoint");
    }
}

/// <summary>A model that takes colour images: pictures are refused (the server decodes grey), pixels are served.</summary>
public sealed class ServerColourModelTests
{
    [Fact]
    public async Task ColourModel_PicturesRefusedPixelsAccepted()
    {
        using var dir = new TempDirectory();
        string path = dir.File("rgb.safetensors");
        Model.Create(new ArchitectureBuilder("rgb", channels: 3, height: 8, width: 8).Conv2D(2, kernel: 3).Flatten().Linear(2).Build()).Save(path);
        var server = new JimuServer(new ServerOptions { ModelPath = path, Port = 0 });
        await using var app = server.Build();
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(JimuServer.Addresses(app).Single()) };
        var content = new ByteArrayContent(Png.Encode(8, 8, rgb: true, new byte[192]));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        var response = await client.PostAsync("/predict", content);
        Assert.Equal(System.Net.HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("3-channel", await response.Content.ReadAsStringAsync());
        var json = new StringContent(JsonSerializer.Serialize(new { pixels = new float[192] }), System.Text.Encoding.UTF8, "application/json");
        response = await client.PostAsync("/predict", json);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }
}
