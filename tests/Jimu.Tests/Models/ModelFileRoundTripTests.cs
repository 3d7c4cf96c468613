using Jimu.Layers;
using Jimu.Data;
using Jimu.IO;
using Jimu.Models;
using Jimu.Tensors;
using Jimu.Tests.Cli;
using Jimu.Training;

namespace Jimu.Tests.Models;

/// <summary>Save → load keeps every weight and prediction; files without an architecture need one; mismatches are clear errors.</summary>
public class ModelFileRoundTripTests
{
    private static readonly OptimizerSettings Sgd = new() { Kind = OptimizerKind.Sgd, LearningRate = 0.05f, Momentum = 0.9f, WeightDecay = 5e-4f };

    private static Model TrainedTiny(TempDirectory dir, out Dataset test)
    {
        var (train, t) = TinyModel.LoadData(dir.Path);
        test = t;
        var model = Model.Create(TinyModel.Architecture, seed: 7);
        model.Fit(train, test, Sgd, new TrainingOptions { Epochs = 1, BatchSize = 16 });
        return model;
    }

    [Fact]
    public void SaveThenLoad_GivesIdenticalParametersAndPredictions()
    {
        using var dir = new TempDirectory();
        var model = TrainedTiny(dir, out var test);
        string path = dir.File("m.safetensors");
        model.Save(path);
        var loaded = Model.Load(path);

        Assert.Equal(model.Network.Parameters.Select(p => p.Name), loaded.Network.Parameters.Select(p => p.Name));
        Assert.True(TinyModel.SameBits(TinyModel.Weights(model), TinyModel.Weights(loaded)));
        Assert.Equal(1, loaded.EpochsTrained);

        var a = model.Predict(test.Images);
        var b = loaded.Predict(test.Images);
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i].Class, b[i].Class);
            Assert.Equal(a[i].Logits, b[i].Logits);
            Assert.Equal(a[i].Probabilities, b[i].Probabilities);
        }
        Assert.Equal(model.Evaluate(test).Loss, loaded.Evaluate(test).Loss);
    }

    [Fact]
    public void Metadata_HoldsTheArchitecture()
    {
        using var dir = new TempDirectory();
        var model = Model.Create(TinyModel.Architecture, seed: 1);
        string path = dir.File("m.safetensors");
        model.Save(path);
        var file = SafeTensors.Read(path);
        Assert.True(file.Metadata.ContainsKey(ModelFile.ArchitectureKey));
        var stored = Architecture.FromJson(file.Metadata[ModelFile.ArchitectureKey]);
        Assert.Equal("tiny", stored.Name);
        Assert.Equal(new[] { 1, 28, 28 }, stored.Input);
        Assert.Equal(new[] { "conv2d", "relu", "maxpool2d", "flatten", "linear" }, stored.Layers.Select(l => l.Type));
        Assert.Equal(TinyModel.Architecture.ToJson(), stored.ToJson());
        // An untrained model stores no optimizer state.
        Assert.False(file.Metadata.ContainsKey(ModelFile.OptimizerKey));
        Assert.Equal(new[] { "conv1.bias", "conv1.weight", "fc1.bias", "fc1.weight" }, file.Names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void StateDictWithoutArchitecture_NeedsArch()
    {
        using var dir = new TempDirectory();
        var model = Model.Create(TinyModel.Architecture, seed: 3);
        string path = dir.File("state_dict.safetensors");
        SafeTensors.Write(path, model.Network.Parameters.ToDictionary(p => p.Name, p => p.Parameter.Value));

        var e = Assert.Throws<MissingArchitectureException>(() => Model.Load(path));
        Assert.Equal(path, e.Path);
        Assert.Contains(path, e.Message);

        var loaded = Model.Load(path, TinyModel.Architecture);
        Assert.True(TinyModel.SameBits(TinyModel.Weights(model), TinyModel.Weights(loaded)));
        Assert.Equal(0, loaded.EpochsTrained);
    }

    public static TheoryData<string> Mismatches => new() { "shape", "missing", "unexpected" };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public void WeightsThatDoNotFit_AreAClearError(string kind)
    {
        using var dir = new TempDirectory();
        var model = Model.Create(TinyModel.Architecture, seed: 3);
        var tensors = model.Network.Parameters.ToDictionary(p => p.Name, p => p.Parameter.Value);
        switch (kind)
        {
            case "shape": tensors["fc1.bias"] = new Tensor(9); break;
            case "missing": tensors.Remove("conv1.weight"); break;
            case "unexpected": tensors["fc9.weight"] = new Tensor(2, 2); break;
        }
        string path = dir.File("bad.safetensors");
        SafeTensors.Write(path, tensors);
        var e = Assert.ThrowsAny<JimuException>(() => Model.Load(path, TinyModel.Architecture));
        Assert.Contains("weights do not fit the architecture", e.Message);
        Assert.Contains(kind switch { "shape" => "fc1.bias", "missing" => "conv1.weight", _ => "fc9.weight" }, e.Message);
        var typed = Assert.IsType<ShapeMismatchException>(e);
        Assert.Equal((path, kind switch { "shape" => "fc1.bias", "missing" => "conv1.weight", _ => "fc9.weight" }), (typed.Path, typed.TensorName));
        Assert.Equal(kind != "unexpected", typed.Expected is not null);
        Assert.Equal(kind != "missing", typed.Actual is not null);

        var fresh = Model.Create(TinyModel.Architecture, seed: 3);
        var e2 = Assert.ThrowsAny<JimuException>(() => fresh.LoadWeightsFrom(path));
        Assert.Contains("weights do not fit the architecture", e2.Message);
    }

    [Fact]
    public void TinyModelLoadedAsLenet5_DoesNotFit()
    {
        using var dir = new TempDirectory();
        string path = dir.File("tiny.safetensors");
        Model.Create(TinyModel.Architecture).Save(path);
        var e = Assert.ThrowsAny<JimuException>(() => Model.Load(path, BuiltIns.LeNet5));
        Assert.Contains("weights do not fit the architecture", e.Message);
    }
}
