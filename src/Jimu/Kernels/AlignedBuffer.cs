using System.Runtime.CompilerServices;

namespace Jimu.Kernels;

/// <summary>
/// Floats at a 64-byte aligned address (a cache line, and what <c>Vector512.LoadAligned</c> needs), pinned so the
/// pointer stays valid for the buffer's life. Grown, never shrunk, by <see cref="Ensure"/>.
/// </summary>
internal sealed unsafe class AlignedBuffer
{
    private readonly float[] _storage;

    /// <summary>
    /// The first aligned float, valid only while this buffer is reachable: a raw pointer does not keep it alive, so
    /// whoever holds only the pointer keeps the buffer in a field or calls <c>GC.KeepAlive</c> after its last use.
    /// </summary>
    public readonly float* Pointer;

    /// <summary>Usable floats from <see cref="Pointer"/>.</summary>
    public readonly long Length;

    public AlignedBuffer(long length)
    {
        _storage = GC.AllocateUninitializedArray<float>(checked((int)(length + 16)), pinned: true);
        Pointer = (float*)(((nint)Unsafe.AsPointer(ref _storage[0]) + 63) & ~(nint)63);
        Length = length;
    }

    /// <summary>The buffer at <paramref name="buffer"/>, replaced by a larger one when it holds fewer than <paramref name="length"/> floats.</summary>
    public static float* Ensure(ref AlignedBuffer? buffer, long length)
    {
        if (buffer is null || buffer.Length < length) buffer = new AlignedBuffer(length);
        return buffer.Pointer;
    }

    /// <summary>Sets the first <paramref name="length"/> floats to zero.</summary>
    public void Clear(long length) => new Span<float>(Pointer, checked((int)length)).Clear();
}
