using Jimu.Tensors;

namespace Jimu.Data;

/// <summary>
/// An in-memory labelled image set: <see cref="Images"/> [N, C, H, W] and one integer label per image in
/// [0, <see cref="ClassCount"/>). The constructor checks that the two agree; a mismatch is a
/// <see cref="JimuException"/> naming <see cref="Name"/>.
/// </summary>
public sealed class Dataset
{
    /// <summary>Images, shape [N, C, H, W].</summary>
    public Tensor Images { get; }

    /// <summary>Label of each image, in [0, <see cref="ClassCount"/>).</summary>
    public int[] Labels { get; }

    /// <summary>Number of classes: the one given to the constructor, or the largest label + 1.</summary>
    public int ClassCount { get; }

    /// <summary>Where the data came from (a file or split name), used in messages.</summary>
    public string Name { get; }

    /// <summary>Number of images N.</summary>
    public int Count => Labels.Length;
    public int Channels => Images.Dim(1);
    public int Height => Images.Dim(2);
    public int Width => Images.Dim(3);

    /// <param name="images">Images [N, C, H, W].</param>
    /// <param name="labels">N labels, each ≥ 0.</param>
    /// <param name="classCount">Number of classes; null means the largest label + 1.</param>
    /// <param name="name">Name used in error messages (for example the images file).</param>
    public Dataset(Tensor images, int[] labels, int? classCount = null, string name = "dataset")
    {
        Name = name;
        if (images.Rank != 4)
            throw new JimuException($"{name}: images must have shape [N, C, H, W] but have shape {images.ShapeString}.");
        if (images.Dim(0) != labels.Length)
            throw new JimuException($"{name}: {images.Dim(0)} images but {labels.Length} labels; the images and labels files must hold the same number of items (are they from the same split?).");

        int max = -1;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0)
                throw new JimuException($"{name}: label {i} is {labels[i]}; labels must be non-negative class indices.");
            max = Math.Max(max, labels[i]);
        }
        if (classCount is { } k)
        {
            if (k < 1)
                throw new JimuException($"{name}: class count must be at least 1, got {k}.");
            if (max >= k)
                throw new JimuException($"{name}: label {max} is out of range for {k} classes; labels must be in [0, {k - 1}].");
        }
        ClassCount = classCount ?? max + 1;
        Images = images;
        Labels = labels;
    }

    public override string ToString() =>
        $"{Name}: {Count} images of {Channels}x{Height}x{Width}, {ClassCount} classes";
}
