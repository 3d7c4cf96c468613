using Jimu.Layers;
using Jimu.Data;
using Jimu.Models;
using Jimu.Tests.Cli;
using Jimu.Training;

namespace Jimu.Tests.Training;

/// <summary>--shift, --crop and --flip: identity when off, torchvision's meaning when on, the same for a seed, never on the test split.</summary>
public class AugmentationPipelineTests
{
    private static float[] Image(int c, int h, int w) => Enumerable.Range(0, c * h * w).Select(i => (float)(i + 1)).ToArray();

    [Fact]
    public void EveryTransformOff_IsTheIdentity()
    {
        var src = Image(3, 5, 4);
        var dst = new float[src.Length];
        var one = new SplitMix64(1);
        Augmentation.Apply((float[])src.Clone(), dst, [3, 5, 4], shift: 0, cropPadding: 0, flip: false, ref one);
        Assert.Equal(src, dst);
    }

    [Fact]
    public void Crop_IsPadThenCropAWindow_AsTorchvision()
    {
        // RandomCrop(size, padding=p): out[h, w] = padded[h + i, w + j] with (i, j) uniform in [0, 2p]².
        const int p = 2, h = 6, w = 5;
        var src = Image(2, h, w);
        var rng = new SplitMix64(7);
        var check = new SplitMix64(7);
        for (int trial = 0; trial < 20; trial++)
        {
            var dst = new float[src.Length];
            Augmentation.Apply((float[])src.Clone(), dst, [2, h, w], 0, p, false, ref rng);
            int i = check.Next(2 * p + 1), j = check.Next(2 * p + 1);
            for (int c = 0; c < 2; c++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                    {
                        int sy = y + i - p, sx = x + j - p;
                        float expected = sy >= 0 && sy < h && sx >= 0 && sx < w ? src[(c * h + sy) * w + sx] : 0;
                        Assert.Equal(expected, dst[(c * h + y) * w + x]);
                    }
        }
    }

    [Fact]
    public void Flip_MirrorsRowsAboutHalfTheTime()
    {
        var src = Image(1, 2, 3); // rows 1 2 3 / 4 5 6
        var rng = new SplitMix64(3);
        int flipped = 0;
        for (int t = 0; t < 200; t++)
        {
            var dst = new float[6];
            Augmentation.Apply((float[])src.Clone(), dst, [1, 2, 3], 0, 0, true, ref rng);
            if (dst.SequenceEqual(new float[] { 3, 2, 1, 6, 5, 4 })) flipped++;
            else Assert.Equal(src, dst);
        }
        Assert.InRange(flipped, 70, 130);
    }

    [Fact]
    public void SameSeed_SameModelBitForBit_AndTheTestSplitIsNeverAugmented()
    {
        using var dir = new TempDirectory();
        var (train, test) = TinyModel.LoadData(dir.Path);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 16, Seed = 5, MaxShift = 1, CropPadding = 2, Flip = true };
        var settings = new OptimizerSettings { Kind = OptimizerKind.Sgd, LearningRate = 0.05f, Momentum = 0.9f };
        Model Train(TrainingOptions o)
        {
            var m = Model.Create(TinyModel.Architecture, seed: 3);
            var results = m.Fit(train, test, settings, o);
            // The test loss reported during training is that of the plain test images: augmentation never reaches them.
            Assert.Equal(m.Evaluate(test, 256).Loss, results[^1].TestLoss, 12);
            return m;
        }
        var a = Train(options);
        var b = Train(options);
        Assert.True(TinyModel.SameBits(TinyModel.Weights(a), TinyModel.Weights(b)));
        var c = Train(options with { Seed = 6 });
        Assert.False(TinyModel.SameBits(TinyModel.Weights(a), TinyModel.Weights(c)));
    }
}
