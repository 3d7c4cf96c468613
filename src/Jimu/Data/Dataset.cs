using Jimu.Tensors;

namespace Jimu.Data;

/// <summary>
/// An in-memory labelled image set: N images of C×H×W and one integer label per image in
/// [0, <see cref="ClassCount"/>). The pixels are held either as float32 in [0, 1] (<see cref="Images"/>, as the IDX
/// reader gives them) or as bytes, one per pixel and channel (decoded image folders: 4 times less memory), scaled
/// by 1/255 as they are copied out (<see cref="CopyImages"/>). The constructor checks that images and labels
/// agree; a mismatch is a <see cref="DataFormatException"/> whose <see cref="DataFormatException.Path"/> is <see cref="Name"/>.
/// </summary>
public sealed class Dataset
{
    private readonly byte[]? _bytes;
    private readonly int[] _sampleShape;
    private Tensor? _images;

    /// <summary>
    /// Images, shape [N, C, H, W], float32 in [0, 1]. For a byte-backed set this converts the whole set on first
    /// use (4 bytes per value); training and evaluation read images through <see cref="CopyImages"/> instead.
    /// </summary>
    public Tensor Images => _images ??= ToTensor();

    /// <summary>Label of each image, in [0, <see cref="ClassCount"/>).</summary>
    public int[] Labels { get; }

    /// <summary>Number of classes: the one given to the constructor, or the largest label + 1.</summary>
    public int ClassCount { get; }

    /// <summary>Where the data came from (a file or split name), used in messages.</summary>
    public string Name { get; }

    /// <summary>The name of each class (index = label), or null when the data does not say them (IDX files).</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>Number of images N.</summary>
    public int Count => Labels.Length;
    /// <summary>Channels of one image.</summary>
    public int Channels => _sampleShape[0];
    /// <summary>Height of one image.</summary>
    public int Height => _sampleShape[1];
    /// <summary>Width of one image.</summary>
    public int Width => _sampleShape[2];

    /// <summary>One image's shape [C, H, W].</summary>
    public ReadOnlySpan<int> SampleShape => _sampleShape;

    /// <summary>Values per image: C·H·W.</summary>
    public int SampleLength => _sampleShape[0] * _sampleShape[1] * _sampleShape[2];

    /// <summary>Bytes of memory the pixels take per image (C·H·W bytes when byte-backed, 4·C·H·W as float32).</summary>
    public int BytesPerImage => _bytes is null ? 4 * SampleLength : SampleLength;

    /// <param name="images">Images [N, C, H, W].</param>
    /// <param name="labels">N labels, each ≥ 0.</param>
    /// <param name="classCount">Number of classes; null means the largest label + 1.</param>
    /// <param name="name">Name used in error messages (for example the images file).</param>
    public Dataset(Tensor images, int[] labels, int? classCount = null, string name = "dataset")
    {
        Name = name;
        if (images.Rank != 4)
            throw new DataFormatException(name, $"{name}: images must have shape [N, C, H, W] but have shape {images.ShapeString}.");
        if (images.Dim(0) != labels.Length)
            throw new DataFormatException(name, $"{name}: {images.Dim(0)} images but {labels.Length} labels; the images and labels files must hold the same number of items (are they from the same split?).");
        _sampleShape = images.Shape[1..].ToArray();
        _images = images;
        (Labels, ClassCount) = CheckLabels(labels, classCount, name);
    }

    /// <param name="pixels">N·C·H·W bytes, image after image, each [C, H, W]; value v means v / 255.</param>
    /// <param name="sampleShape">One image's [C, H, W].</param>
    /// <param name="labels">N labels, each ≥ 0.</param>
    /// <param name="classCount">Number of classes; null means the largest label + 1.</param>
    /// <param name="name">Name used in error messages.</param>
    public Dataset(byte[] pixels, int[] sampleShape, int[] labels, int? classCount = null, string name = "dataset")
    {
        Name = name;
        if (sampleShape.Length != 3 || sampleShape.Any(d => d < 1))
            throw new DataFormatException(name, $"{name}: an image must have shape [C, H, W] with positive sizes, got {Tensor.Format(sampleShape)}.");
        _sampleShape = (int[])sampleShape.Clone();
        if ((long)pixels.Length != (long)labels.Length * SampleLength)
            throw new DataFormatException(name, $"{name}: {pixels.Length} pixel bytes do not make {labels.Length} images of {Tensor.Format(sampleShape)}.");
        _bytes = pixels;
        (Labels, ClassCount) = CheckLabels(labels, classCount, name);
    }

    private Dataset(Dataset source, IReadOnlyList<string> classNames)
    {
        _bytes = source._bytes; _images = source._images; _sampleShape = source._sampleShape;
        Labels = source.Labels; Name = source.Name;
        if (classNames.Count < source.ClassCount)
            throw new SettingException("class names", classNames.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{source.Name}: {classNames.Count} class names for {source.ClassCount} classes; give one name per class.");
        ClassCount = classNames.Count;
        ClassNames = classNames;
    }

    /// <summary>The same images and labels (shared, not copied) with class names; their count becomes <see cref="ClassCount"/>.</summary>
    public Dataset WithClassNames(IReadOnlyList<string> classNames) => new(this, classNames);

    private static (int[] Labels, int ClassCount) CheckLabels(int[] labels, int? classCount, string name)
    {

        int max = -1;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0)
                throw new DataFormatException(name, $"{name}: label {i} is {labels[i]}; labels must be non-negative class indices.");
            max = Math.Max(max, labels[i]);
        }
        if (classCount is { } k)
        {
            if (k < 1)
                throw new SettingException("class count", k.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{name}: class count must be at least 1, got {k}.");
            if (max >= k)
                throw new DataFormatException(name, $"{name}: label {max} is out of range for {k} classes; labels must be in [0, {k - 1}].");
        }
        return (labels, classCount ?? max + 1);
    }

    /// <summary>Writes images [start, start + count) as float32 in [0, 1] to <paramref name="destination"/> (count·C·H·W values).</summary>
    public void CopyImages(int start, int count, Span<float> destination)
    {
        int per = SampleLength;
        if (_bytes is null) { _images!.Data.AsSpan(start * per, count * per).CopyTo(destination); return; }
        // v / 255 exactly as ImagePixels.ToPlanar computes it, so an image-folder set feeds what predict feeds.
        Jimu.Kernels.Elementwise.BytesToUnit(_bytes.AsSpan(start * per, count * per), destination);
    }

    /// <summary>Writes image <paramref name="index"/> as float32 in [0, 1] to <paramref name="destination"/> (C·H·W values).</summary>
    public void CopyImage(int index, Span<float> destination) => CopyImages(index, 1, destination);

    private Tensor ToTensor()
    {
        var t = new Tensor([Count, .. _sampleShape]);
        CopyImages(0, Count, t.Span);
        return t;
    }

    /// <summary>A short description for messages and summaries.</summary>
    public override string ToString() =>
        $"{Name}: {Count} images of {Channels}x{Height}x{Width}, {ClassCount} classes";
}
