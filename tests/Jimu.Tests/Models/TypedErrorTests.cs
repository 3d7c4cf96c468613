using Jimu.Data;
using Jimu.Models;
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
}
