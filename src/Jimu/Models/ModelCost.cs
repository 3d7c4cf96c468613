using Jimu.Layers;

namespace Jimu.Models;

/// <summary>
/// Multiply-adds of a network per image, from its layers' shapes: conv O·(C·kh·kw)·(OH·OW), linear in·out.
/// A training step costs three times the forward (forward, input gradient, weight gradient) less the
/// input gradient of the first layer, which nothing needs; FLOPs are twice the multiply-adds.
/// </summary>
public static class ModelCost
{
    /// <summary>Forward multiply-adds of each layer for one image.</summary>
    public static long[] ForwardMultiplyAdds(Sequential model)
    {
        var result = new long[model.Layers.Count];
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var outShape = model.ShapeAfter(i + 1, 1);
            result[i] = model.Layers[i] switch
            {
                Conv2D c => (long)c.OutChannels * c.InChannels * c.KernelH * c.KernelW * outShape[2] * outShape[3],
                Linear l => (long)l.InFeatures * l.OutFeatures,
                _ => 0,
            };
        }
        return result;
    }

    /// <summary>Multiply-adds of one training step per image (forward + both backward products, none for the first layer's input).</summary>
    public static long TrainingMultiplyAdds(Sequential model)
    {
        var f = ForwardMultiplyAdds(model);
        long total = 0;
        for (int i = 0; i < f.Length; i++) total += f[i] * 3;
        // Sequential never asks its first layer for an input gradient.
        return total - f[0];
    }
}
