namespace Jimu.Layers;

/// <summary>A change counter that views of the same storage share (<see cref="Parameter"/>, <see cref="LayerBuffer"/>).</summary>
internal sealed class VersionCell
{
    private long _value;

    public long Read() => Volatile.Read(ref _value);

    // After the write it records: a reader that sees the new number reads the new values.
    public void Bump() => Interlocked.Increment(ref _value);
}
