using Jimu.Cli.Commands;
using Jimu.Models;
using static Jimu.Cli.Commands.BenchModelCommand;

namespace Jimu.Tests.Cli;

/// <summary>
/// `bench model --profile`'s BatchNorm table: each conv-BN-ReLU block against the same convolution and the ReLU(+pool)
/// step after it in the network without its BatchNorm layers (worked example on bn-cnn's step names).
/// </summary>
public class BatchNormShareTests
{
    [Fact]
    public void WithoutBatchNorm_DropsEachBatchNormAfterAConvolution()
    {
        var plain = BenchModelCommand.WithoutBatchNorm(BuiltIns.BnCnn)!;
        Assert.Equal(BuiltIns.BnCnn.Layers.Length - 6, plain.Layers.Length);
        Assert.DoesNotContain(plain.Layers, l => l is LayerSpec.BatchNorm2d);
        Assert.Equal("relu3", plain.Layers[Array.FindIndex(plain.Layers, l => l.Name == "conv3") + 1].Name);
        Assert.Null(BenchModelCommand.WithoutBatchNorm(BuiltIns.MnistTf));
    }

    [Fact]
    public void EachBlock_IsComparedWithTheReluStepAfterTheSameConvolutionWithoutBatchNorm()
    {
        using var model = Model.Create(BuiltIns.BnCnn);
        using var plainModel = Model.Create(BenchModelCommand.WithoutBatchNorm(BuiltIns.BnCnn)!);
        // Every step 1 ms forward and 2 ms backward, but the ReLU(+pool) steps of the plain network: 0.1 + 0.2 ms
        // after conv k (k ms more on the backward pass, so that each block's pick shows).
        var times = Times(model.Network, _ => (1, 2));
        var plain = Times(plainModel.Network, name =>
            name.StartsWith("relu", StringComparison.Ordinal) ? (0.1, 0.2 + int.Parse(name[4..5])) : (1, 2));
        var shares = BenchModelCommand.BatchNormShares(model.Network, times, plain);

        Assert.Equal(["conv1 … bn1+relu1", "conv2 … relu2+pool1", "conv3 … bn3+relu3", "conv4 … relu4+pool2", "conv5 … bn5+relu5", "conv6 … bn6+relu6"],
            shares.Select(s => s.Block));
        Assert.Equal(["relu1", "relu2+pool1", "relu3", "relu4+pool2", "relu5", "relu6"],
            plain.Where(t => t.Layer.StartsWith("relu", StringComparison.Ordinal)).Select(t => t.Layer));
        for (int k = 1; k <= 6; k++)
        {
            var s = shares[k - 1];
            bool pooled = k is 2 or 4; // the block's pool is a step of its own (fused into the BatchNorm's)
            Assert.Equal(pooled ? 9 : 6, s.BlockMs, 1e-9);
            Assert.Equal(3, s.BatchNormMs, 1e-9);
            Assert.Equal(3, s.ConvMs, 1e-9);
            Assert.Equal(0.3 + k, s.WithoutBatchNormMs, 1e-9);
            Assert.Equal(Math.Max(0, s.BlockMs - 3 - (0.3 + k)), s.AddedMs, 1e-9);
        }
    }

    private static List<LayerTime> Times(Sequential net, Func<string, (double Forward, double Backward)> time) =>
        [.. net.Steps.Select(step => BenchModelCommand.StepName(net, step)).Select(name => new LayerTime(name, time(name).Forward, time(name).Backward))];
}
