using System.Runtime.CompilerServices;

namespace Jimu.Tensors;

/// <summary>
/// A contiguous float32 tensor in row-major order (NCHW for images). The data array may be
/// larger than <see cref="Length"/> so that buffers can be reused across batch sizes.
/// </summary>
public sealed class Tensor
{
    private int[] _shape;

    /// <summary>Backing storage; only the first <see cref="Length"/> elements belong to the tensor.</summary>
    public float[] Data { get; private set; }

    /// <summary>Number of elements: the product of <see cref="Shape"/>.</summary>
    public int Length { get; private set; }

    /// <summary>A zero tensor of <paramref name="shape"/>.</summary>
    public Tensor(params int[] shape)
    {
        _shape = (int[])shape.Clone();
        Length = Count(_shape);
        Data = new float[Length];
    }

    /// <summary>Wraps <paramref name="data"/> (not copied) with the given shape.</summary>
    public Tensor(float[] data, params int[] shape)
    {
        int n = Count(shape);
        if (data.Length < n)
            throw new ShapeException(nameof(Tensor), "shape", null, shape, $"at most the {data.Length} elements of its data (it needs {n})");
        _shape = (int[])shape.Clone();
        Length = n;
        Data = data;
    }

    /// <summary>The dimensions, outermost first.</summary>
    public ReadOnlySpan<int> Shape => _shape;
    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;
    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Dim(int dim) => dim < 0 ? _shape[_shape.Length + dim] : _shape[dim];

    /// <summary>The tensor's elements.</summary>
    public Span<float> Span => Data.AsSpan(0, Length);

    /// <summary>Elements of sample <paramref name="n"/> along the first dimension.</summary>
    public Span<float> Sample(int n)
    {
        int per = Length / _shape[0];
        return Data.AsSpan(n * per, per);
    }

    /// <summary>The element at a full index (one coordinate per dimension). For dimension sizes use <see cref="Dim"/>.</summary>
    public float this[params int[] index]
    {
        get => Data[Offset(index)];
        set => Data[Offset(index)] = value;
    }

    private int Offset(int[] index)
    {
        if (index.Length != _shape.Length)
            throw new ArgumentException($"Index of rank {index.Length} for a tensor of shape {ShapeString}.");
        int o = 0;
        for (int i = 0; i < index.Length; i++)
        {
            if ((uint)index[i] >= (uint)_shape[i])
                throw new IndexOutOfRangeException($"Index {index[i]} out of range for dimension {i} of shape {ShapeString}.");
            o = o * _shape[i] + index[i];
        }
        return o;
    }

    /// <summary>A view with another shape over the same data (same element count, else a <see cref="ShapeException"/>).</summary>
    public Tensor Reshape(params int[] shape)
    {
        if (Count(shape) != Length)
            throw new ShapeException("Tensor.Reshape", "shape", null, shape, $"{Length} elements, as the tensor {ShapeString} has");
        return new Tensor(Data, shape);
    }

    /// <summary>Changes this tensor's shape in place, growing the storage only when it is too small.</summary>
    public void Resize(params ReadOnlySpan<int> shape)
    {
        int n = Count(shape);
        if (n > Data.Length) Data = new float[n];
        if (!ShapeEquals(shape)) _shape = shape.ToArray();
        Length = n;
    }

    /// <summary>
    /// Makes this tensor a view of <paramref name="source"/>'s storage (same shape required): an inference copy of a
    /// network reads the weights of the original rather than copies of them.
    /// </summary>
    internal void ShareStorageOf(Tensor source)
    {
        if (!ShapeEquals(source.Shape))
            throw new ShapeException("Tensor.ShareStorageOf", "source", _shape, source._shape, "the shape of the tensor that shares it");
        Data = source.Data;
    }

    /// <summary>Whether the tensor has exactly this shape.</summary>
    public bool ShapeEquals(ReadOnlySpan<int> shape) => shape.SequenceEqual(_shape);

    /// <summary>A copy with its own storage.</summary>
    public Tensor Clone() => new(Span.ToArray(), _shape);

    /// <summary>Sets every element to zero.</summary>
    public void Clear() => Span.Clear();

    /// <summary>Copies the elements of <paramref name="other"/> (same element count).</summary>
    public void CopyFrom(Tensor other)
    {
        if (other.Length != Length)
            throw new ShapeException("Tensor.CopyFrom", "source", null, other._shape, $"{Length} elements, as the tensor {ShapeString} has");
        other.Span.CopyTo(Span);
    }

    /// <summary>The shape as text, "[N, C, H, W]".</summary>
    public string ShapeString => Format(_shape);

    /// <summary>A shape as text, "[2, 3]".</summary>
    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    /// <summary>The number of elements of a shape; throws when negative or too large.</summary>
    public static int Count(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ShapeException(nameof(Tensor), "shape", null, shape.ToArray(), "no negative dimension");
            n *= d;
        }
        if (n > Array.MaxLength) throw new ShapeException(nameof(Tensor), "shape", null, shape.ToArray(), $"at most {Array.MaxLength:N0} elements");
        return (int)n;
    }

    /// <summary>Returns <paramref name="buffer"/> reshaped to <paramref name="shape"/>, allocating only when it is null or too small.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Ensure(ref Tensor? buffer, params ReadOnlySpan<int> shape)
    {
        if (buffer is null) buffer = new Tensor(shape.ToArray());
        else buffer.Resize(shape);
        return buffer;
    }

    /// <summary>Wraps <paramref name="data"/> (not copied) with the given shape.</summary>
    public static Tensor FromArray(float[] data, params int[] shape) => new(data, shape);

    /// <summary>A short description for messages and summaries.</summary>
    public override string ToString() => $"Tensor{ShapeString}";
}
