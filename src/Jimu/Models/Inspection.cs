using Jimu.Layers;
using Jimu.Tensors;

namespace Jimu.Models;

/// <summary>One layer's output for one image: C maps of H×W, channel after channel.</summary>
public sealed record FeatureMaps(string Layer, int Channels, int Height, int Width, float[] Values)
{
    /// <summary>The H×W values of channel <paramref name="channel"/>, row after row.</summary>
    public ReadOnlySpan<float> Map(int channel) => Values.AsSpan(channel * Height * Width, Height * Width);
}

/// <summary>
/// What a network does with one image: the first convolution's filters, and the output of every convolution
/// (before its activation), for pictures of what the network sees.
/// </summary>
public sealed record Inspection(FeatureMaps? Filters, IReadOnlyList<FeatureMaps> Convolutions, Prediction Prediction)
{
    /// <summary>
    /// The first convolution's weights [out, in, kh, kw] as one kh×kw image per output channel: for several input
    /// channels, their mean (a grey picture of what the filter responds to). Null for a network without one.
    /// </summary>
    public static FeatureMaps? FirstFilters(Sequential network)
    {
        if (network.Layers.OfType<Conv2D>().FirstOrDefault() is not { } conv) return null;
        int o = conv.OutChannels, c = conv.InChannels, kk = conv.KernelH * conv.KernelW;
        var w = conv.Weight.Value.Span;
        var values = new float[o * kk];
        for (int f = 0; f < o; f++)
            for (int i = 0; i < c; i++)
                for (int k = 0; k < kk; k++) values[f * kk + k] += w[(f * c + i) * kk + k] / c;
        return new FeatureMaps(conv.Name, o, conv.KernelH, conv.KernelW, values);
    }

    /// <summary>
    /// Runs one prepared input [1, C, H, W] through <paramref name="network"/> in evaluation mode, keeping a copy of
    /// every convolution's output. Not reentrant (the layers reuse their buffers): use <see cref="Model.Inspect"/>.
    /// </summary>
    internal static Inspection Run(Sequential network, Tensor input, Func<int, string> label)
    {
        network.Training = false;
        var x = input;
        var maps = new List<FeatureMaps>();
        foreach (var step in network.Steps)
        {
            x = step.Forward(x);
            if (step is Conv2D conv)
                maps.Add(new FeatureMaps(conv.Name, x.Dim(1), x.Dim(2), x.Dim(3), x.Span.ToArray()));
        }
        var logits = x.Span.ToArray();
        var probabilities = new float[logits.Length];
        Losses.SoftmaxCrossEntropy.Softmax(new Tensor(logits, 1, logits.Length), new Tensor(probabilities, 1, logits.Length));
        int best = Training.Metrics.ArgMax(probabilities);
        return new Inspection(FirstFilters(network), maps, new Prediction(best, probabilities[best], logits, probabilities, label(best)));
    }
}
