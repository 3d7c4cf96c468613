using System.Net.Http.Headers;
using System.Text.Json;
using Jimu.Cli.Serve;
using Jimu.Models;
using Jimu.Tensors;
using Jimu.Tests.Cli;

namespace Jimu.Tests.Serve;

public sealed class DynamicBatcherTests
{
    private static float[] Digit(int i) => Jimu.Data.MnistFolder.LoadSplit(RepoPaths.MnistSample, "t10k").Images.Sample(i).ToArray();

    [Fact]
    public async Task RequestsWithinTheWindow_ShareOneForwardPass_WithTheBatchsNumbers()
    {
        var model = Model.Load(DigitModel.Path);
        var images = Enumerable.Range(0, 8).Select(Digit).ToArray();
        await using var batcher = new DynamicBatcher(model, TimeSpan.FromMilliseconds(500), maxBatch: 8, workers: 1);
        var answers = await Task.WhenAll(images.Select(batcher.PredictAsync));
        Assert.Equal(1, batcher.Batches);
        Assert.Equal(8, batcher.Images);

        var x = new Tensor([8, 1, 28, 28]);
        for (int i = 0; i < 8; i++) images[i].CopyTo(x.Data, i * 784);
        var expected = model.Predict(x);
        for (int i = 0; i < 8; i++) Assert.Equal(expected[i].Logits, answers[i].Logits); // the same batch, bit for bit
    }

    [Fact]
    public async Task MaxBatch_SplitsTheQueue()
    {
        var model = Model.Load(DigitModel.Path);
        await using var batcher = new DynamicBatcher(model, TimeSpan.FromMilliseconds(500), maxBatch: 3, workers: 1);
        var answers = await Task.WhenAll(Enumerable.Range(0, 7).Select(i => batcher.PredictAsync(Digit(i))));
        Assert.Equal(7, answers.Length);
        Assert.Equal(3, batcher.Batches); // 3 + 3 + 1
    }

    [Fact]
    public async Task Server_WithABatchWindow_AnswersAsWithout()
    {
        var server = new JimuServer(new ServerOptions { ModelPath = DigitModel.Path, Port = 0, BatchWindow = TimeSpan.FromMilliseconds(5) });
        await using var app = server.Build();
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(JimuServer.Addresses(app).Single()) };
        var png = Png.Encode(200, 240, rgb: false, DrawnDigits.Render(DrawnDigits.Three));
        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            var content = new ByteArrayContent(png);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            var response = await client.PostAsync("/predict?preprocess=mnist", content);
            response.EnsureSuccessStatusCode();
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }));
        Assert.All(answers, a => Assert.Equal(3, a.GetProperty("class_index").GetInt32()));
        var alone = Model.Load(DigitModel.Path).Predict(new Tensor(answers.Length > 0 ? SeenOf(png) : [], 1, 1, 28, 28))[0];
        Assert.All(answers, a => Assert.All(a.GetProperty("logits").EnumerateArray().Zip(alone.Logits),
            p => Assert.Equal(p.Second, p.First.GetSingle(), 1e-4f)));
        Assert.Equal(16, server.Batcher!.Images);
    }

    private static float[] SeenOf(byte[] png)
    {
        var (grey, h, w) = Jimu.Cli.ImageInput.DecodeGrey(png, "three.png");
        return Jimu.Cli.ImageInput.FromGrey("three.png", grey, h, w, 28, 28, invert: false, Jimu.Cli.ImageInput.Preprocess.Mnist).Pixels;
    }
}
