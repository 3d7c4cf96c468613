using Jimu.Data;
using Jimu.IO;
using Jimu.Layers;
using Jimu.Models;
using Jimu.Tests.Cli;
using Jimu.Training;

namespace Jimu.Tests.Models;

/// <summary>The new layers in architectures and model files: JSON types, builder, buffers (int64 counter), metadata.</summary>
public class BatchNormModelTests
{
    private static Architecture Net() =>
        new ArchitectureBuilder("bn-net", channels: 1, height: 28, width: 28)
            .Conv2D(4, kernel: 3, padding: Padding.Same, bias: false).BatchNorm().LeakyRelu(0.1).MaxPool(2)
            .Conv2D(6, kernel: 3).BatchNorm().Relu().GlobalAvgPool()
            .BatchNorm().Linear(8).Tanh().Linear(10)
            .Build();

    [Fact]
    public void Builder_PicksBatchNorm2dOnImagesAnd1dWhenFlat_WithPyTorchNames()
    {
        var arch = Net();
        Assert.Equal(["batchnorm2d", "batchnorm2d", "batchnorm1d"], arch.Layers.Where(l => l.Type.StartsWith("batchnorm")).Select(l => l.Type));
        var net = arch.Build();
        Assert.Equal(["bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked", "bn2.running_mean", "bn2.running_var",
            "bn2.num_batches_tracked", "bn3.running_mean", "bn3.running_var", "bn3.num_batches_tracked"], net.Buffers.Select(b => b.Name));
        Assert.Contains(net.Parameters, p => p.Name == "bn3.weight" && p.Parameter.Value.Length == 6);
        Assert.IsType<GlobalAvgPool2d>(net.Layers.Single(l => l.Name == "gap1"));
        // JSON round trip keeps every field.
        var again = Architecture.FromJson(arch.ToJson());
        Assert.Equal(arch.ToJson(), again.ToJson());
    }

    [Fact]
    public void Json_ReadsTheNewTypes_AndRejectsBatchNorm1dOnImages()
    {
        var a = Architecture.FromJson("""
            { "name": "j", "input": [3, 8, 8], "layers": [
              { "type": "conv2d", "out_channels": 4, "kernel": 3 }, { "type": "batchnorm2d", "eps": 0.001, "momentum": 0.2 },
              { "type": "sigmoid" }, { "type": "globalavgpool2d" }, { "type": "batchnorm1d" }, { "type": "leakyrelu", "negative_slope": 0.3 },
              { "type": "linear", "out_features": 2 } ] }
            """);
        var net = a.Build();
        var bn = Assert.IsType<BatchNorm2d>(net.Layers[1]);
        Assert.Equal(1e-3, bn.Eps);
        Assert.Equal(0.2, bn.Momentum);
        Assert.Equal(0.3, Assert.IsType<LeakyRelu>(net.Layers[5]).NegativeSlope);
        var e = Assert.ThrowsAny<JimuException>(() => Architecture.FromJson("""
            { "input": [1, 8, 8], "layers": [ { "type": "batchnorm1d" }, { "type": "flatten" } ] }
            """).Build());
        Assert.Contains("flat input", e.Message);
    }

    [Fact]
    public void GlobalAvgPool_TakesAnyInputSize()
    {
        foreach (int size in new[] { 9, 28, 40 })
        {
            var a = new ArchitectureBuilder("any", 3, size, size).Conv2D(4, 3).BatchNorm().Relu().GlobalAvgPool().Linear(5).Build();
            Assert.Equal([5], a.Build().OutputShape);
        }
    }

    [Fact]
    public void SaveLoad_KeepsRunningStatistics_NumBatchesTrackedIsInt64_AndMetadata()
    {
        using var dir = new TempDirectory();
        var (train, test) = TinyModel.LoadData(dir.Path);
        var model = Model.Create(Net(), seed: 3);
        model.Normalization = new Normalization([0.13f], [0.31f]);
        model.Classes = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
        model.Fit(train, test, new OptimizerSettings { Kind = OptimizerKind.Sgd, LearningRate = 0.05f, Momentum = 0.9f },
            new TrainingOptions { Epochs = 1, BatchSize = 16 });
        string path = dir.File("bn.safetensors");
        model.Save(path);

        var file = SafeTensors.Read(path);
        Assert.Equal("I64", file.DTypeOf("bn1.num_batches_tracked"));
        Assert.Empty(file["bn1.num_batches_tracked"].Shape.ToArray());
        long steps = (train.Count + 15) / 16;
        Assert.Equal(steps, file.Int64["bn1.num_batches_tracked"].Data[0]);
        Assert.Equal("F32", file.DTypeOf("bn1.running_var"));

        var loaded = Model.Load(path);
        foreach (var ((name, a), (_, b)) in model.Network.Buffers.Zip(loaded.Network.Buffers))
        {
            if (a.Value is not null) Assert.Equal(a.Value.Span.ToArray(), b.Value!.Span.ToArray());
            else Assert.Equal(a.Int64, b.Int64);
        }
        Assert.Equal(model.Classes, loaded.Classes);
        Assert.Equal(model.Normalization!.Mean, loaded.Normalization!.Mean);
        Assert.Equal(model.Normalization.Std, loaded.Normalization.Std);
        Assert.NotNull(loaded.TrainedOn);
        Assert.Equal([1, 28, 28], loaded.TrainedOn!.Input!);
        Assert.Equal(DataDescription.LabelsFingerprint(test.Labels), loaded.TrainedOn.TestLabels);
        Assert.Equal(model.Evaluate(test).Loss, loaded.Evaluate(test).Loss);
        var p = loaded.Predict(test.Images)[0];
        Assert.Equal(loaded.Classes![p.Class], p.Label);
    }

    [Fact]
    public void FilesWithoutTheNewMetadata_LoadWithUnknowns()
    {
        using var dir = new TempDirectory();
        var model = Model.Create(TinyModel.Architecture, seed: 1);
        string path = dir.File("old.safetensors");
        ModelFile.Save(path, model.Architecture, model.Network); // as files were written before
        var loaded = Model.Load(path);
        Assert.Null(loaded.Classes);
        Assert.Null(loaded.Normalization);
        Assert.Null(loaded.TrainedOn);
        var x = new Jimu.Tensors.Tensor(1, 1, 28, 28);
        Assert.Equal(loaded.Predict(x)[0].Class.ToString(), loaded.Predict(x)[0].Label);
    }

    [Fact]
    public void MissingBuffer_IsAClearError()
    {
        using var dir = new TempDirectory();
        var model = Model.Create(Net(), seed: 1);
        string path = dir.File("p.safetensors");
        var tensors = model.Network.Parameters.ToDictionary(p => p.Name, p => p.Parameter.Value);
        SafeTensors.Write(path, tensors);
        var e = Assert.ThrowsAny<JimuException>(() => Model.Load(path, Net()));
        Assert.Contains("bn1.running_mean", e.Message);
    }

    [Fact]
    public void Normalization_IsAppliedByEvaluateAndPredict()
    {
        using var dir = new TempDirectory();
        var (_, test) = TinyModel.LoadData(dir.Path);
        var model = Model.Create(TinyModel.Architecture, seed: 2);
        var plain = model.Predict(test.Images)[0].Logits;
        model.Normalization = new Normalization([0.5f], [0.25f]);
        var normalised = model.Predict(test.Images)[0].Logits;
        var x = test.Images.Clone();
        for (int i = 0; i < x.Length; i++) x.Data[i] = (x.Data[i] - 0.5f) / 0.25f;
        model.Normalization = null;
        Assert.Equal(model.Predict(x)[0].Logits, normalised);
        Assert.NotEqual(plain, normalised);
    }
}
