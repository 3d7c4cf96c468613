using Jimu.Layers;

namespace Jimu.Models;

/// <summary>
/// An inference network with every BatchNorm that directly follows a convolution (or a linear layer) folded into it:
/// in evaluation BN is an affine map per output channel o, so
/// <code>
/// s[o] = γ[o] / √(running_var[o] + ε)
/// w'[o, …] = w[o, …]·s[o]            b'[o] = (b[o] − running_mean[o])·s[o] + β[o]    (b = 0 without a bias)
/// </code>
/// and conv(x; w', b') = BN(conv(x; w, b)) up to rounding: one pass fewer over the largest activations. The folded
/// layers hold their own w' and b' (the model file keeps PyTorch's tensors); <see cref="Refresh"/> recomputes them
/// before each use from the source network's current weights where their versions (<see cref="Parameter.Version"/>)
/// changed, so training, loading or a write followed by MarkChanged between calls shows through, at no cost otherwise.
/// Every other layer shares its weights with the source (<see cref="Sequential.ShareWeightsWith"/>).
/// </summary>
internal sealed class BatchNormFolding
{
    private readonly List<Fold> _folds;

    private sealed record Fold(Parameter Weight, Parameter? Bias, BatchNorm Norm, Parameter FoldedWeight, Parameter FoldedBias)
    {
        /// <summary>The sum of the source versions w', b' were computed from (they only grow: it changes when one does); −1: never.</summary>
        public long Built = -1;
        public long SourceVersion => Weight.Version + (Bias?.Version ?? 0) + Norm.EvaluationVersion;
    }

    private BatchNormFolding(Sequential network, List<Fold> folds)
    {
        Network = network;
        _folds = folds;
    }

    /// <summary>The network to run (evaluation mode).</summary>
    public Sequential Network { get; }

    /// <summary>Whether any BatchNorm was folded.</summary>
    public bool Folded => _folds.Count > 0;

    /// <summary>Builds <paramref name="architecture"/> as an inference twin of <paramref name="source"/>, with every conv/linear + BN pair folded.</summary>
    public static BatchNormFolding Build(Architecture architecture, Sequential source)
    {
        var twin = architecture.Build();
        source.ShareWeightsWith(twin);
        var layers = new List<Layer>();
        var folds = new List<Fold>();
        var l = twin.Layers;
        for (int i = 0; i < l.Count; i++)
        {
            Layer? folded = (l[i], i + 1 < l.Count ? l[i + 1] : null) switch
            {
                (Conv2D c, BatchNorm2d bn) when bn.Channels == c.OutChannels =>
                    new Conv2D(c.InChannels, c.OutChannels, c.KernelH, c.KernelW, c.StrideH, c.StrideW, c.Padding, bias: true, c.Algorithm, c.Name),
                (Linear f, BatchNorm1d bn) when bn.Channels == f.OutFeatures =>
                    new Linear(f.InFeatures, f.OutFeatures, bias: true, f.Name),
                _ => null,
            };
            if (folded is null) { layers.Add(l[i]); continue; }
            var (weight, bias) = l[i] switch
            {
                Conv2D c => (c.Weight, c.Bias),
                Linear f => (f.Weight, f.Bias),
                _ => throw new InvalidOperationException(),
            };
            folds.Add(new Fold(weight, bias, (BatchNorm)l[i + 1], folded.Parameters[0], folded.Parameters[1]));
            // Inference never writes a gradient: the folded layer's share the source's storage, so none is kept.
            folded.Parameters[0].Grad.ShareStorageOf(weight.Grad);
            folded.Parameters[1].Grad.ShareStorageOf(((BatchNorm)l[i + 1]).Bias.Grad);
            layers.Add(folded);
            i++; // the BatchNorm is inside the folded layer now
        }
        if (folds.Count == 0) return new BatchNormFolding(twin, folds);
        var network = new Sequential(layers, source.InputShape) { Training = false };
        return new BatchNormFolding(network, folds);
    }

    /// <summary>Recomputes the folded weights and biases whose sources changed since they were last computed.</summary>
    public void Refresh()
    {
        foreach (var f in _folds)
        {
            // Read before the values: a write during the pass (not allowed, but) leaves the old number, so it is redone next time.
            long version = f.SourceVersion;
            if (version == f.Built) continue;
            var w = f.Weight.Value.Span;
            var wf = f.FoldedWeight.Value.Span;
            var bf = f.FoldedBias.Value.Span;
            var n = f.Norm;
            var gamma = n.Weight.Value.Span; var beta = n.Bias.Value.Span;
            var mean = n.RunningMean.Span; var variance = n.RunningVar.Span;
            int channels = n.Channels, per = w.Length / channels;
            for (int o = 0; o < channels; o++)
            {
                double s = gamma[o] / Math.Sqrt(variance[o] + n.Eps);
                double b = f.Bias is { } bias ? bias.Value.Span[o] : 0;
                bf[o] = (float)((b - mean[o]) * s + beta[o]);
                w.Slice(o * per, per).CopyTo(wf.Slice(o * per, per));
                Kernels.Elementwise.Scale(wf.Slice(o * per, per), (float)s);
            }
            f.FoldedWeight.MarkChanged(); f.FoldedBias.MarkChanged();
            f.Built = version;
        }
    }
}
