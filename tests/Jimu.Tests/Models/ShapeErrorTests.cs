using Jimu.Data;
using Jimu.Layers;
using Jimu.Losses;
using Jimu.Models;
using Jimu.Tensors;
using Jimu.Training;

namespace Jimu.Tests.Models;

/// <summary>
/// A <see cref="ShapeException"/> carries who refused which tensor, the shape that fits (with * wildcards) and the one
/// given, and its message is made from them: a program can react without reading the message.
/// </summary>
public class ShapeErrorTests
{
    [Fact]
    public void The_message_is_made_from_the_data()
    {
        var e = new ShapeException("Op", "input", [ShapeException.Any, 3], [2, 4], "3 features", "do this.");
        Assert.Equal("Op expects input [*, 3] (3 features), got [2, 4]; do this.", e.Message);
        Assert.Equal("Op expects input [*, 3], got [2, 4].", new ShapeException("Op", "input", [ShapeException.Any, 3], [2, 4]).Message);
        Assert.Equal("Op expects input with two dimensions, got [1].", new ShapeException("Op", "input", null, [1], "two dimensions").Message);
        Assert.Equal("[*, 1, 28, 28]", ShapeException.Format([ShapeException.Any, 1, 28, 28]));
        Assert.IsAssignableFrom<ArgumentException>(e); // a caller's mistake, as .NET's own argument checks
        // Neither the shape nor the rule: nothing a reader could act on.
        Assert.Throws<ArgumentException>(() => new ShapeException("Op", "input", null, [1]));
    }

    [Fact]
    public void The_data_is_a_copy_of_what_the_thrower_passed()
    {
        int[] expected = [ShapeException.Any, 3], actual = [2, 4];
        var e = new ShapeException("Op", "input", expected, actual);
        expected[1] = 99; actual[0] = 99;
        Assert.Equal([ShapeException.Any, 3], e.Expected);
        Assert.Equal([2, 4], e.Actual);
    }

    [Fact]
    public void Tensor_reshape_and_construction_say_the_element_count()
    {
        var t = new Tensor(2, 3);
        var e = Assert.Throws<ShapeException>(() => t.Reshape(4, 2));
        Assert.Equal(("Tensor.Reshape", "shape"), (e.Operation, e.Argument));
        Assert.Null(e.Expected);
        Assert.Equal([4, 2], e.Actual);
        Assert.Equal("Tensor.Reshape expects shape with 6 elements, as the tensor [2, 3] has, got [4, 2].", e.Message);
        Assert.Null(e.LayerType);

        var data = Assert.Throws<ShapeException>(() => new Tensor(new float[5], 2, 3));
        Assert.Equal([2, 3], data.Actual);
        Assert.Contains("5 elements", data.Message);
        var negative = Assert.Throws<ShapeException>(() => new Tensor(2, -1));
        Assert.Equal([2, -1], negative.Actual);
        var copy = Assert.Throws<ShapeException>(() => t.CopyFrom(new Tensor(7)));
        Assert.Equal([7], copy.Actual);
    }

    [Fact]
    public void Inside_a_network_the_layer_index_is_filled_in()
    {
        var model = Model.Create(BuiltIns.MnistTf, seed: 1);
        var net = model.Network;
        var output = net.Forward(new Tensor(2, 1, 28, 28));
        var e = Assert.Throws<ShapeException>(() => net.Backward(new Tensor(2, output.Dim(1) + 1)));
        int last = net.Layers.Count - 1;
        Assert.Equal(last, e.LayerIndex);
        Assert.Equal(net.Layers[last].Name, e.LayerName);
        Assert.Equal([2, output.Dim(1)], e.Expected);
        Assert.Equal([2, output.Dim(1) + 1], e.Actual);
        Assert.StartsWith($"Linear '{net.Layers[last].Name}' (layer {last + 1}) expects output gradient", e.Message);

        var input = Assert.Throws<ShapeException>(() => net.Forward(new Tensor(2, 3, 28, 28)));
        Assert.Equal([ShapeException.Any, 1, 28, 28], input.Expected);
        Assert.Null(input.LayerIndex); // the network itself refused it, before any layer
    }

    [Fact]
    public void An_architecture_that_does_not_fit_keeps_the_shape_error_with_its_layer()
    {
        // A 5×5 kernel on 4×4 images: the conv (layer 2) does not fit.
        var e = Assert.Throws<ArchitectureException>(() => new ArchitectureBuilder("bad", 1, 4, 4).Relu().Conv2D(8, 5).Flatten().Linear(10).Build());
        Assert.Equal(1, e.LayerIndex);
        var shape = Assert.IsType<ShapeException>(e.InnerException);
        Assert.Equal(1, shape.LayerIndex);
        Assert.Equal(("Conv2D", "conv1"), (shape.LayerType, shape.LayerName));
        Assert.Equal([1, 1, 4, 4], shape.Actual);
        Assert.Equal("use a smaller kernel, more padding or a larger input", shape.Hint);
        Assert.Contains("layer 2 (conv2d): Conv2D 'conv1' expects input with at least 5x5 pixels", e.Message);
    }

    /// <summary>A network whose output is not one score per class is refused by training, evaluation and prediction, not by the loss.</summary>
    [Fact]
    public void A_model_whose_output_is_not_one_score_per_class_is_an_architecture_error()
    {
        var maps = Model.Create(new ArchitectureBuilder("maps", 1, 8, 8).Conv2D(4, 3).Relu().Build()); // a network, not a classifier
        var data = new Dataset(new Tensor(4, 1, 8, 8), [0, 1, 2, 3], 4);
        var settings = new OptimizerSettings { Kind = OptimizerKind.Sgd, LearningRate = 0.01f };
        foreach (var call in new Action[]
        {
            () => maps.Fit(data, null, settings, new TrainingOptions { Epochs = 1, BatchSize = 2 }),
            () => maps.Evaluate(data),
            () => maps.Predict(new Tensor(1, 1, 8, 8)),
            () => DataCheck.Check(maps, data, "eval"),
        })
        {
            var e = Assert.Throws<ArchitectureException>(call);
            Assert.Equal(1, e.LayerIndex);
            Assert.Contains("outputs of shape [4, 6, 6]", e.Message);
            Assert.Contains("flatten", e.Message);
        }
        Assert.Equal([2, 4, 6, 6], maps.Network.Forward(new Tensor(2, 1, 8, 8)).Shape.ToArray()); // which still runs
    }

    [Fact]
    public void Losses_and_normalisation_name_the_tensor()
    {
        var labels = Assert.Throws<ShapeException>(() => new SoftmaxCrossEntropy().Forward(new Tensor(2, 10), [1]));
        Assert.Equal(("SoftmaxCrossEntropy", "labels"), (labels.Operation, labels.Argument));
        Assert.Equal([2], labels.Expected);
        Assert.Equal([1], labels.Actual);
        var target = Assert.Throws<ShapeException>(() => new MeanSquaredError().Forward(new Tensor(2, 3), new Tensor(3, 2)));
        Assert.Equal("target", target.Argument);
        Assert.Equal([2, 3], target.Expected);
        Assert.Equal([3, 2], target.Actual);
        var norm = Assert.Throws<ShapeException>(() => new Normalization([0.5f], [0.2f]).Apply(new Tensor(1, 3, 2, 2)));
        Assert.Equal([ShapeException.Any, 1, ShapeException.Any, ShapeException.Any], norm.Expected);
        Assert.Equal([1, 3, 2, 2], norm.Actual);
    }

    [Fact]
    public void BatchNorm_given_one_value_per_channel_says_so()
    {
        var bn = new BatchNorm1d(4, name: "bn3");
        var e = Assert.Throws<ShapeException>(() => bn.Forward(new Tensor(1, 4)));
        Assert.Equal(("BatchNorm1d", "bn3"), (e.LayerType, e.LayerName));
        Assert.Null(e.Expected);
        Assert.Equal([1, 4], e.Actual);
        Assert.Equal("use a batch of at least 2", e.Hint);
    }

    /// <summary>
    /// mnist-tf-bn's BatchNorm1d sees one value per feature for a batch of one image: a batch size that leaves a last
    /// batch of one is refused before the first step (a setting), not at the end of the first epoch (a shape error).
    /// </summary>
    [Fact]
    public void A_last_batch_of_one_image_for_a_BatchNorm1d_is_refused_before_training()
    {
        var model = Model.Create(BuiltIns.MnistTfBn, seed: 1);
        var data = new Dataset(new Tensor(5, 1, 28, 28), [0, 1, 2, 3, 4], 10);
        var settings = new OptimizerSettings { Kind = OptimizerKind.Sgd, LearningRate = 0.01f };
        var before = model.Network.Parameters[0].Parameter.Value.Span.ToArray();
        var e = Assert.Throws<SettingException>(() => model.Fit(data, null, settings, new TrainingOptions { Epochs = 1, BatchSize = 4 }));
        Assert.Equal(("batch size", "4"), (e.Setting, e.Value));
        Assert.Contains("last batch of one image", e.Message);
        Assert.Contains("BatchNorm1d 'bn3'", e.Message);
        Assert.Contains("use a batch size of 5", e.Message); // the next size up that leaves no last batch of one
        Assert.Equal(before, model.Network.Parameters[0].Parameter.Value.Span.ToArray()); // no step taken
        var one = Assert.Throws<SettingException>(() => model.Fit(data, null, settings, new TrainingOptions { Epochs = 1, BatchSize = 1 }));
        Assert.Contains("use a batch size of at least 2", one.Message);
        // Batches of 2, 2 and 1 for a BatchNorm2d-only network are fine: each channel still has 28·28 values.
        var convOnly = Model.Create(new ArchitectureBuilder("c", 1, 28, 28).Conv2D(2, 3).BatchNorm().Relu().Flatten().Linear(10).Build(), seed: 1);
        convOnly.Fit(data, null, settings, new TrainingOptions { Epochs = 1, BatchSize = 2 });
    }
}
