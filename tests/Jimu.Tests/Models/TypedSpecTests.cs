using System.Text.Json;
using Jimu.Data;
using Jimu.IO;
using Jimu.Layers;
using Jimu.Models;
using Jimu.Training;

namespace Jimu.Tests.Models;

/// <summary>
/// Layer specs are typed records that build themselves; settings are enums; files written before (by f0baf0c) still
/// load to the same numbers; defaults survive source-generated JSON.
/// </summary>
public class TypedSpecTests
{
    private static string Fixture(string name) => Path.Combine(RepoPaths.Root, "tests", "Jimu.Tests", "Models", "fixtures", name);

    [Fact]
    public void ArchitectureJsonWrittenBeforeTheTypedSpecs_ReadsIntoTheTypedRecords()
    {
        var a = Architecture.Load(Fixture("every-layer.json"));
        Assert.Equal(13, a.Layers.Length);
        var stem = Assert.IsType<LayerSpec.Conv2d>(a.Layers[0]);
        Assert.Equal(("stem", 4, 3, false, ConvAlgorithm.Im2Col), (stem.Name, stem.OutChannels, stem.Kernel.Single(), stem.Bias, stem.Algorithm));
        Assert.Equal(Padding.Same, stem.Padding);
        var bn = Assert.IsType<LayerSpec.BatchNorm2d>(a.Layers[1]);
        Assert.Equal((0.001, 0.2), (bn.Eps, bn.Momentum));
        Assert.Equal(0.1, Assert.IsType<LayerSpec.LeakyRelu>(a.Layers[2]).NegativeSlope);
        var pool = Assert.IsType<LayerSpec.MaxPool2d>(a.Layers[3]);
        Assert.Equal([2, 2], pool.Kernel);
        Assert.Equal(PoolAlgorithm.Direct, pool.Algorithm);
        var conv = Assert.IsType<LayerSpec.Conv2d>(a.Layers[4]);
        Assert.Equal((ConvAlgorithm.Direct, "1"), (conv.Algorithm, conv.Padding.ToString()));
        Assert.Equal(PoolAlgorithm.Im2Col, Assert.IsType<LayerSpec.AvgPool2d>(a.Layers[6]).Algorithm);
        Assert.Equal(Padding.Explicit(1, 1, 0, 0), Assert.IsType<LayerSpec.Conv2d>(a.Layers[7]).Padding);
        Assert.IsType<LayerSpec.BatchNorm1d>(a.Layers[10]);
        Assert.Equal(0.1, Assert.IsType<LayerSpec.Dropout>(a.Layers[11]).P);
        Assert.Equal(10, Assert.IsType<LayerSpec.Linear>(a.Layers[12]).OutFeatures);
        var net = a.Build();
        Assert.Equal(["stem", "bn1", "leakyrelu1", "pool1", "conv1", "sigmoid1", "pool2", "conv2", "tanh1", "gap1", "bn2", "dropout1", "head"],
            net.Layers.Select(l => l.Name));
        Assert.Equal(ConvAlgorithm.Im2Col, ((Conv2D)net.Layers[0]).Algorithm);
        Assert.Equal(PoolAlgorithm.Im2Col, ((AvgPool2D)net.Layers[6]).Algorithm);
    }

    [Fact]
    public void ModelFileWrittenBeforeTheTypedSpecs_LoadsAndEvaluatesToTheSameNumbers()
    {
        var model = Model.Load(Fixture("every-layer-f0baf0c.safetensors"));
        Assert.Equal(Architecture.Load(Fixture("every-layer.json")).ToJson(), model.Architecture.ToJson());
        Assert.Equal(new OptimizerSettings(OptimizerKind.Adam, LearningRate: 0.01f, WeightDecay: 5e-4f), model.OptimizerSettings);
        var o = model.TrainingOptions!;
        Assert.Equal((2, 64, true, 1, "step:1:0.5", 1, 0, false), (o.Epochs, o.BatchSize, o.Shuffle, o.Seed, o.Schedule.ToString(), o.MaxShift, o.CropPadding, o.Flip));
        Assert.Equal(new TrainingPosition(2, 0), model.Position);
        Assert.Equal([0.13086106f], model.Normalization!.Mean);
        Assert.Equal("idx", model.TrainedOn!.Format);
        var e = model.Evaluate(MnistFolder.Load(RepoPaths.MnistSample).Test);
        Assert.Equal(0.5745, e.Accuracy);
        // f0baf0c's figure; inference now folds each BatchNorm into the conv before it, which moves the loss in the 8th digit.
        Assert.Equal(1.222586668180465, e.Loss, 1e-6);
    }

    [Fact]
    public void TypedRecordsWriteTheJsonThatWasWrittenBefore()
    {
        // What f0baf0c stored for mnist-tf, byte for byte: the file format did not change.
        Assert.Equal("""{"name":"mnist-tf","input":[1,28,28],"layers":[{"type":"conv2d","name":"conv1","out_channels":32,"kernel":5,"padding":"same"},{"type":"relu","name":"relu1"},{"type":"maxpool2d","name":"pool1","kernel":2,"stride":2},{"type":"conv2d","name":"conv2","out_channels":64,"kernel":5,"padding":"same"},{"type":"relu","name":"relu2"},{"type":"maxpool2d","name":"pool2","kernel":2,"stride":2},{"type":"flatten","name":"flatten"},{"type":"linear","name":"fc1","out_features":512},{"type":"relu","name":"relu3"},{"type":"dropout","name":"dropout","p":0.5},{"type":"linear","name":"fc2","out_features":10}]}""",
            BuiltIns.MnistTf.ToJson());
        var a = new ArchitectureBuilder("t", 3, 8, 8).Conv2D(2, kernel: 3, padding: Padding.Explicit(1, 0, 2, 0), algorithm: ConvAlgorithm.Winograd)
            .AvgPool(2, padding: 1).Flatten().Linear(3).Build();
        string json = a.ToJson();
        Assert.Contains("\"padding\":\"1,0,2,0\",\"bias\":true,\"algorithm\":\"winograd\"", json);
        Assert.Contains("\"padding\":1", json);
        Assert.Equal(json, Architecture.FromJson(json).ToJson());
    }

    [Fact]
    public void LayerTypesAreMatchedIgnoringCase_AndTheirOrderInTheObjectIsFree()
    {
        var a = Architecture.FromJson("""{ "input": [1, 8, 8], "layers": [ { "out_channels": 2, "type": "Conv2D", "kernel": 3 }, { "type": "FLATTEN" }, { "type": "Linear", "out_features": 2 } ] }""");
        Assert.Equal(["conv2d", "flatten", "linear"], a.Layers.Select(l => l.Type));
        Assert.Equal([2], a.Build().OutputShape);
    }

    [Fact]
    public void EachSpecBuildsItsOwnLayer()
    {
        LayerSpec spec = new LayerSpec.Conv2d { OutChannels = 5, Kernel = [3, 1], Stride = [2], Padding = Padding.Same };
        var conv = Assert.IsType<Conv2D>(spec.Build([1, 2, 9, 9], "c"));
        Assert.Equal((2, 5, 3, 1, 2, 2, "c"), (conv.InChannels, conv.OutChannels, conv.KernelH, conv.KernelW, conv.StrideH, conv.StrideW, conv.Name));
        Assert.Equal(5 * (2 * 3 * 1 + 1), spec.ParameterCount([1, 2, 9, 9]));
        var linear = new LayerSpec.Linear { OutFeatures = 4, Bias = false };
        Assert.Equal(4 * 7, linear.ParameterCount([1, 7]));
        var e = Assert.Throws<ArchitectureException>(() => linear.Build([1, 2, 3, 3], "fc"));
        Assert.Contains("add a flatten layer", e.Message);
    }

    public static TheoryData<string, int?, string?, string[]> JsonErrors => new()
    {
        { """{ "input": [1, 8, 8], "layers": [ { "type": "conv2d", "out_channels": 2, "kernel": 5, "algorithm": "fft" } ] }""", 0, "algorithm", ["layer 1 (conv2d)", "'fft'", "direct, im2col, winograd, auto, vectorized or strided"] },
        { """{ "input": [1, 8, 8], "layers": [ { "type": "conv2d", "out_channels": 2, "kernel": 5, "algorithm": 2 } ] }""", 0, "algorithm", ["layer 1 (conv2d)", "expected a name"] },
        { """{ "input": [1, 8, 8], "layers": [ { "type": "maxpool2d", "kernel": 2, "algorithm": "winograd" } ] }""", 0, "algorithm", ["layer 1 (maxpool2d)", "'winograd'", "direct or im2col"] },
        { """{ "input": [1, 28, 28], "layers": [ { "type": "conv3d", "out_channels": 2, "kernel": 3 } ] }""", 0, "type", ["layer 1", "conv3d", "unknown layer type", "conv2d, maxpool2d"] },
        { """{ "input": [1, 28, 28], "layers": [ { "out_channels": 2, "kernel": 3 } ] }""", 0, "type", ["layer 1 has no \"type\""] },
        { """{ "input": [1, 28, 28], "layers": [ { "type": "relu" }, { "type": "conv2d", "kernel": 3 } ] }""", 1, "out_channels", ["layer 2 (conv2d) is missing \"out_channels\""] },
        { """{ "input": [1, 28, 28], "layers": [ { "type": "relu" }, { "type": "conv2d", "out_chanels": 3, "kernel": 3 } ] }""", 1, "out_chanels", ["layer 2 (conv2d) has an unknown field \"out_chanels\"", "did you mean \"out_channels\"", "the fields are type, name, out_channels, kernel, stride, padding, bias, algorithm."] },
        { """{ "input": [1, 28, 28], "layers": [ { "type": "conv2d", "out_channels": 2, "kernel": 3, "padding": "sam" } ] }""", 0, "padding", ["layer 1 (conv2d)", "\"padding\"", "\"same\", \"valid\""] },
        { """{ "input": [1, 28, 28], "layers": [ { "type": "conv2d", "out_channels": "two", "kernel": 3 } ] }""", 0, "out_channels", ["layer 1 (conv2d)", "\"out_channels\"", "wrong kind"] },
        { """{ "input": [1, 28, 28], "layerz": [] }""", null, "layerz", ["the architecture has an unknown field \"layerz\"", "did you mean \"layers\""] },
    };

    [Theory]
    [MemberData(nameof(JsonErrors))]
    public void JsonMistakes_AreOneLineErrorsWithTheLayerAndField(string json, int? layer, string? field, string[] expected)
    {
        var e = Assert.Throws<ArchitectureException>(() => Architecture.FromJson(json, "bad.json"));
        Assert.StartsWith("bad.json: ", e.Message);
        foreach (var s in expected) Assert.Contains(s, e.Message);
        Assert.DoesNotContain("\n", e.Message);
        Assert.DoesNotContain("Jimu.", e.Message); // no .NET type names
        Assert.Equal((layer, field), (e.LayerIndex, e.Field));
    }

    [Fact]
    public void OptimizerDefaultsSurviveAStoredFileThatLacksThem()
    {
        // Source-generated JSON sets a missing init-only property to default(T); the settings take their defaults as
        // constructor parameters so that a file written before a field existed reads back with the default, not 0.
        var s = JsonSerializer.Deserialize("""{"Kind":"Adam"}""", JimuJsonContext.Default.OptimizerSettings)!;
        Assert.Equal(new OptimizerSettings(OptimizerKind.Adam), s);
        Assert.Equal((0.01f, 0.9, 0.999, 1e-8f), (s.LearningRate, s.Beta1, s.Beta2, s.Epsilon));
        Assert.Equal("""{"Kind":"sgd","LearningRate":0.01,"Momentum":0,"Nesterov":false,"WeightDecay":0,"Beta1":0.9,"Beta2":0.999,"Epsilon":1E-08}""",
            JsonSerializer.Serialize(new OptimizerSettings(), JimuJsonContext.Default.OptimizerSettings));
    }

    [Fact]
    public void TrainingOptionDefaultsSurviveAStoredFileThatLacksThem()
    {
        var o = JsonSerializer.Deserialize("""{"Epochs":3}""", JimuJsonContext.Default.TrainingOptions)!;
        Assert.Equal(new TrainingOptions { Epochs = 3 }, o);
        Assert.Equal((64, true, 1, "constant"), (o.BatchSize, o.Shuffle, o.Seed, o.Schedule.ToString()));
        var n = JsonSerializer.Deserialize("""{"Schedule":null}""", JimuJsonContext.Default.TrainingOptions)!;
        Assert.Equal("constant", n.Schedule.ToString());
    }

    [Fact]
    public void ArchitectureDefaultsSurviveSourceGeneratedJson()
    {
        var a = Architecture.FromJson("""{ "input": [1, 4, 4], "layers": [ { "type": "flatten" } ] }""");
        Assert.Equal("custom", a.Name);
        var b = Architecture.FromJson("""{ "name": null, "input": [1, 4, 4], "layers": [ { "type": "flatten" } ] }""");
        Assert.Equal("custom", b.Name);
        var e = Assert.Throws<ArchitectureException>(() => Architecture.FromJson("""{ "name": "x" }""").Build());
        Assert.Contains("\"input\" must be [channels, height, width]", e.Message);
        Assert.Equal("input", e.Field);
    }

    [Fact]
    public void SavedAndLoaded_SettingsAndOptionsAreEqual()
    {
        var dir = Directory.CreateTempSubdirectory("jimu-typed-");
        try
        {
            var model = Model.Create(BuiltIns.LeNet5, seed: 3);
            var data = MnistFolder.Load(RepoPaths.MnistSample);
            var images = new float[64 * 784];
            data.Train.CopyImages(0, 64, images);
            var small = new Dataset(new Jimu.Tensors.Tensor(images, 64, 1, 28, 28), data.Train.Labels[..64], 10);
            var settings = new OptimizerSettings(OptimizerKind.Sgd, LearningRate: 0.05f, Momentum: 0.9f, Nesterov: true);
            var options = new TrainingOptions { Epochs = 1, BatchSize = 32, Seed = 7, Schedule = new LearningRateSchedule.Cosine(0.001f), Flip = true };
            model.Fit(small, null, settings, options);
            string path = Path.Combine(dir.FullName, "m.safetensors");
            model.Save(path);
            var back = Model.Load(path);
            Assert.Equal(settings, back.OptimizerSettings);
            Assert.Equal(options with { Normalization = null }, back.TrainingOptions);
        }
        finally { dir.Delete(recursive: true); }
    }
}
