using Jimu.Data;
using Jimu.Tensors;

namespace Jimu.Tests.Data;

public class DatasetTests
{
    [Fact]
    public void ClassCountDefaultsToLargestLabelPlusOne()
    {
        var d = new Dataset(new Tensor(3, 1, 2, 2), [0, 4, 2]);
        Assert.Equal(3, d.Count);
        Assert.Equal(5, d.ClassCount);
        Assert.Equal((1, 2, 2), (d.Channels, d.Height, d.Width));
    }

    [Fact]
    public void GivenClassCountIsKept() =>
        Assert.Equal(10, new Dataset(new Tensor(2, 1, 2, 2), [0, 1], 10).ClassCount);

    [Fact]
    public void CountMismatchIsAnError()
    {
        var e = Assert.ThrowsAny<JimuException>(() => new Dataset(new Tensor(3, 1, 2, 2), [0, 1], name: "train-images-idx3-ubyte"));
        Assert.Contains("train-images-idx3-ubyte", e.Message);
        Assert.Contains("3 images but 2 labels", e.Message);
    }

    [Fact]
    public void LabelOutOfRangeIsAnError()
    {
        var e = Assert.ThrowsAny<JimuException>(() => new Dataset(new Tensor(2, 1, 2, 2), [0, 10], 10, "set"));
        Assert.Contains("label 10 is out of range for 10 classes", e.Message);
        Assert.ThrowsAny<JimuException>(() => new Dataset(new Tensor(2, 1, 2, 2), [0, -1]));
    }

    [Fact]
    public void ImagesMustBeFourDimensional() =>
        Assert.ThrowsAny<JimuException>(() => new Dataset(new Tensor(2, 4), [0, 1]));
}
