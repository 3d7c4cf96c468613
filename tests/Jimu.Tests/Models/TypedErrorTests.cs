using Jimu.Data;
using Jimu.IO;
using Jimu.Models;
using Jimu.Tests.IO;
using Jimu.Tensors;
using Jimu.Training;

namespace Jimu.Tests.Models;

/// <summary>The library's user errors are typed and carry their data, so that a program can react without reading the message.</summary>
public class TypedErrorTests
{
    [Fact]
    public void Data_that_does_not_fit_the_model_is_a_DataMismatchException_with_both_sides()
    {
        var model = Model.Create(BuiltIns.MnistTf, seed: 1);
        var wrongShape = new Dataset(new Tensor(2, 1, 20, 20), [0, 1], 10);
        var e = Assert.Throws<DataMismatchException>(() => DataCheck.Check(model, wrongShape, "eval"));
        Assert.Equal("eval", e.Where);
        Assert.Contains("28", e.Expected);
        Assert.Contains("20", e.Actual);
        var tooManyClasses = new Dataset(new Tensor(2, 1, 28, 28), [0, 11], 12);
        e = Assert.Throws<DataMismatchException>(() => DataCheck.Check(model, tooManyClasses, "eval"));
        Assert.Equal(("10 classes", "12 classes"), (e.Expected, e.Actual));
        model.Classes = [.. Enumerable.Range(0, 10).Select(i => $"c{i}")];
        e = Assert.Throws<DataMismatchException>(() => DataCheck.CheckClasses(model, [.. Enumerable.Range(0, 10).Select(i => $"d{i}")], "predict"));
        Assert.Contains("c0", e.Expected);
        Assert.Contains("d0", e.Actual);
    }

    [Fact]
    public void Settings_that_do_not_fit_name_the_setting()
    {
        var model = Model.Create(BuiltIns.MnistTf, seed: 1);
        var classes = Assert.Throws<SettingException>(() => model.Classes = ["a", "b"]);
        Assert.Equal(("class names", "2"), (classes.Setting, classes.Value));
        var norm = Assert.Throws<SettingException>(() => model.Normalization = new Normalization([0.5f, 0.5f, 0.5f], [0.2f, 0.2f, 0.2f]));
        Assert.Equal("normalization", norm.Setting);
        var options = Assert.Throws<SettingException>(() => new TrainingOptions { BatchSize = 0 }.Validate());
        Assert.Equal(("batch size", "0"), (options.Setting, options.Value));
        var adam = Assert.Throws<SettingException>(() => new OptimizerSettings { Kind = OptimizerKind.Adam, Beta1 = 1.5 }.Create([]));
        Assert.Equal("beta1", adam.Setting);
        var nesterov = Assert.Throws<SettingException>(() => new OptimizerSettings { Nesterov = true }.Validate());
        Assert.Equal("nesterov", nesterov.Setting);
    }

    [Fact]
    public void A_dataset_whose_parts_do_not_agree_is_a_DataFormatException_naming_it()
    {
        var e = Assert.Throws<DataFormatException>(() => new Dataset(new Tensor(3, 28, 28), [0, 1, 2], name: "flat.idx"));
        Assert.Equal("flat.idx", e.Path);
        Assert.StartsWith("flat.idx: images must have shape [N, C, H, W]", e.Message);
        e = Assert.Throws<DataFormatException>(() => new Dataset(new Tensor(3, 1, 2, 2), [0, 1], name: "split"));
        Assert.Equal("split", e.Path);
        Assert.Contains("3 images but 2 labels", e.Message);
        e = Assert.Throws<DataFormatException>(() => new Dataset(new byte[10], [1, 2, 2], [0, 1], name: "bytes"));
        Assert.Equal(("bytes", "bytes: 10 pixel bytes do not make 2 images of [1, 2, 2]."), (e.Path, e.Message));
        e = Assert.Throws<DataFormatException>(() => new Dataset(new byte[8], [1, 2, 0], [0, 1], name: "bytes"));
        Assert.Contains("positive sizes", e.Message);
        e = Assert.Throws<DataFormatException>(() => new Dataset(new Tensor(2, 1, 2, 2), [0, -3], name: "labels"));
        Assert.Equal(("labels", "labels: label 1 is -3; labels must be non-negative class indices."), (e.Path, e.Message));
        e = Assert.Throws<DataFormatException>(() => new Dataset(new Tensor(2, 1, 2, 2), [0, 7], classCount: 5, name: "labels"));
        Assert.Contains("label 7 is out of range for 5 classes", e.Message);

        var k = Assert.Throws<SettingException>(() => new Dataset(new Tensor(1, 1, 2, 2), [0], classCount: 0));
        Assert.Equal(("class count", "0"), (k.Setting, k.Value));
        var data = new Dataset(new Tensor(2, 1, 2, 2), [0, 2]);
        var names = Assert.Throws<SettingException>(() => data.WithClassNames(["a", "b"]));
        Assert.Equal(("class names", "2"), (names.Setting, names.Value));
        Assert.Contains("2 class names for 3 classes", names.Message);
    }

    [Fact]
    public void An_invalid_normalization_is_a_SettingException_with_its_values()
    {
        var e = Assert.Throws<SettingException>(() => new Normalization([0.5f, 0.5f], [0.2f]));
        Assert.Equal("normalization", e.Setting);
        Assert.Equal("mean [0.5, 0.5], std [0.2]", e.Value);
        Assert.StartsWith("normalization: normalization needs one mean and one std per channel, got 2 and 1", e.Message);
        e = Assert.Throws<SettingException>(() => new Normalization([float.NaN], [0.2f]));
        Assert.Contains("finite means and positive standard deviations", e.Message);
        e = Assert.Throws<SettingException>(() => new Normalization([0.5f], [0f]));
        Assert.Equal("mean [0.5], std [0]", e.Value);
        e = Assert.Throws<SettingException>(() => new Normalization { Mean = [0.1f], Std = [-1f] }.Validate("m.safetensors (jimu.normalization)"));
        Assert.StartsWith("m.safetensors (jimu.normalization): ", e.Message);
    }

    private static Trainer TrainerFor(Model model, TrainingOptions options) =>
        new(model.Network, new OptimizerSettings { LearningRate = 0.01f }.Create(model.Network.Parameters), options);

    [Fact]
    public void Data_the_trainer_cannot_use_is_typed_with_both_sides()
    {
        var model = Model.Create(BuiltIns.MnistTf, seed: 1);
        var trainer = TrainerFor(model, new TrainingOptions { Epochs = 1, BatchSize = 2 });
        var empty = Assert.Throws<DataFormatException>(() => trainer.Fit(new Dataset(new Tensor(0, 1, 28, 28), [], 10, "empty.idx")));
        Assert.Equal("empty.idx", empty.Path);
        Assert.Equal("empty.idx: the training set is empty.", empty.Message);

        var shape = Assert.Throws<DataMismatchException>(() => trainer.Fit(new Dataset(new Tensor(2, 1, 20, 20), [0, 1], 10)));
        Assert.Equal(("the training set", "[1, 28, 28]", "[1, 20, 20]"), (shape.Where, shape.Expected, shape.Actual));

        var good = new Dataset(new Tensor(2, 1, 28, 28), [0, 1], 10);
        var label = Assert.Throws<DataMismatchException>(() => trainer.Fit(good, new Dataset(new Tensor(2, 1, 28, 28), [0, 12], 13)));
        Assert.Equal(("the test set", "labels 0–9", "label 12"), (label.Where, label.Expected, label.Actual));
        Assert.Equal("The test set has label 12 but the model has only 10 outputs (labels 0–9); use data with the model's classes.", label.Message);

        var late = TrainerFor(model, new TrainingOptions { Epochs = 2, BatchSize = 2, Start = new TrainingPosition(0, 5, 0, 0, 10) });
        var resume = Assert.Throws<CheckpointException>(() => late.Fit(good));
        Assert.Null(resume.Path);
        Assert.Contains("an epoch of this training set has only 1 steps of 2", resume.Message);

        var eval = Assert.Throws<DataMismatchException>(() => Evaluator.Evaluate(model.Network, new Dataset(new Tensor(1, 1, 28, 28), [11], 12, "t10k")));
        Assert.Equal(("the data set 't10k'", "labels 0–9", "label 11"), (eval.Where, eval.Expected, eval.Actual));
    }

    [Fact]
    public void A_NaN_in_the_data_stops_training_with_the_epoch_and_step()
    {
        var model = Model.Create(BuiltIns.MnistTf, seed: 1);
        var images = new Tensor(6, 1, 28, 28);
        images.Span[3 * 784 + 100] = float.NaN; // image 3: the second step of 2 images, without shuffling
        var e = Assert.Throws<TrainingDivergedException>(() => TrainerFor(model, new TrainingOptions { Epochs = 1, BatchSize = 2, Shuffle = false })
            .Fit(new Dataset(images, [0, 1, 2, 3, 4, 5], 10)));
        Assert.Equal((1, 2), (e.Epoch, e.Step));
        Assert.StartsWith("Training diverged at epoch 1, step 2: the loss became NaN.", e.Message);
        Assert.DoesNotContain("--", e.Message);
    }

    [Fact]
    public void A_file_that_cannot_be_written_is_a_FileWriteException_with_its_path_and_the_old_file_is_kept()
    {
        using var dir = new TempDirectory();
        string missing = Path.Combine(dir.Path, "no", "m.safetensors");
        var e = Assert.Throws<FileWriteException>(() => AtomicFile.Write(missing, s => s.WriteByte(1)));
        Assert.Equal(missing, e.Path);
        Assert.Contains("does not exist; create it first or choose another path", e.Message);
        e = Assert.Throws<FileWriteException>(() => AtomicFile.CheckWritable(dir.Path, 10));
        Assert.Equal(dir.Path, e.Path);
        Assert.EndsWith("it is a directory; give a file name.", e.Message);

        // An I/O failure inside the write: the exception keeps the cause, the existing file is untouched, no temp file stays.
        string file = dir.File("m.safetensors");
        File.WriteAllBytes(file, [1, 2, 3]);
        e = Assert.Throws<FileWriteException>(() => AtomicFile.Write(file, _ => throw new IOException("No space left on device")));
        Assert.Equal(file, e.Path);
        Assert.Equal($"cannot write '{file}': No space left on device", e.Message);
        Assert.IsType<IOException>(e.InnerException);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(file));
        Assert.Equal(["m.safetensors"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
        // Anything else is a bug in the caller's writer and passes through untouched.
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(file, _ => throw new InvalidOperationException("bug")));
    }

    [Fact]
    public void A_tensor_of_the_wrong_shape_or_damaged_names_the_tensor()
    {
        using var dir = new TempDirectory();
        string path = dir.File("w.safetensors");
        SafeTensors.Write(path, new Dictionary<string, Tensor> { ["fc.weight"] = new Tensor(2, 3) });
        var file = SafeTensors.Read(path);
        var e = Assert.Throws<ShapeMismatchException>(() => file.Get("fc.weight", 3, 2));
        Assert.Equal((path, "fc.weight"), (e.Path, e.TensorName));
        Assert.Equal([3, 2], e.Expected!);
        Assert.Equal([2, 3], e.Actual!);
        e = Assert.Throws<ShapeMismatchException>(() => file.Get("fc.bias", 3));
        Assert.Equal(("fc.bias", null), (e.TensorName, e.Actual));
        Assert.Equal([3], e.Expected!);
        e = Assert.Throws<ShapeMismatchException>(() => file["conv.weight"]);
        Assert.Equal(("conv.weight", null, null), (e.TensorName, e.Expected, e.Actual));
        Assert.Contains("it holds fc.weight", e.Message);

        // The header says 2×3 float32 (24 bytes) but gives the tensor 20.
        var t = Assert.Throws<TensorFormatException>(() => SafeTensors.Read(new MemoryStream(SafeTensorsBytes.Build(
            """{"fc.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}""", new byte[20])), "d.safetensors"));
        Assert.Equal(("d.safetensors", "fc.weight"), (t.Path, t.TensorName));
        Assert.Equal([2L, 3L], t.Dimensions!);
        Assert.Contains("hold 20 bytes but shape [2, 3] of F32 needs 24", t.Message);
        t = Assert.Throws<TensorFormatException>(() => SafeTensors.Read(new MemoryStream(SafeTensorsBytes.Build(
            """{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""", new byte[1])), "u8.safetensors"));
        Assert.Equal(("x", null), (t.TensorName, t.Dimensions));
    }

    [Fact]
    public void An_architecture_too_large_to_build_names_the_layer_and_the_limit()
    {
        var e = Assert.Throws<Architecture.TooLargeException>(() => BuiltIns.MnistTf.Build(maxParameters: 10));
        Assert.Equal((0, 10L), (e.LayerIndex, e.MaxParameters));
        Assert.IsAssignableFrom<ArchitectureException>(e);
    }

    [Fact]
    public void An_architecture_file_that_does_not_read_names_the_file_the_line_and_the_field()
    {
        const string json = """
            {
              "name": "typo", "input": [1, 28, 28],
              "layers": [
                { "type": "conv2d", "out_chanels": 4, "kernel": 3 },
                { "type": "flatten" }
              ]
            }
            """;
        var e = Assert.Throws<ArchitectureException>(() => Architecture.FromJson(json, "typo.json"));
        Assert.Equal(("typo.json", 4L, 0, "out_chanels"), (e.Path, e.Line, e.LayerIndex, e.Field));
        Assert.Contains("did you mean \"out_channels\"", e.Message);

        // An unknown type is found before the serializer runs: the file and the layer, no line.
        e = Assert.Throws<ArchitectureException>(() => Architecture.FromJson(json.Replace("flatten", "flattn"), "typo.json"));
        Assert.Equal(("typo.json", null, 1, "type"), (e.Path, e.Line, e.LayerIndex, e.Field));

        using var dir = new TempDirectory();
        e = Assert.Throws<ArchitectureException>(() => Architecture.Load(dir.File("none.json")));
        Assert.Equal(dir.File("none.json"), e.Path);
        // Built in code: no file.
        e = Assert.Throws<ArchitectureException>(() => new Architecture { Name = "empty", Input = [1, 28, 28], Layers = [] }.Build());
        Assert.Null(e.Path);
    }
}
