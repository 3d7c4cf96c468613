namespace Jimu.Layers;

/// <summary>
/// A change counter that views of the same storage share (<see cref="Parameter"/>, <see cref="LayerBuffer"/>), and
/// what is derived from the values once for all the views (a Linear layer's packed weights).
/// </summary>
internal sealed class VersionCell
{
    private long _value;
    private object? _derived;

    /// <summary>The one <typeparamref name="T"/> that every view of these values shares (made on first use; it checks the version itself).</summary>
    public T Derived<T>() where T : class, new()
    {
        if (Volatile.Read(ref _derived) is T made) return made;
        Interlocked.CompareExchange(ref _derived, new T(), null);
        return (T)_derived!;
    }

    public long Read() => Volatile.Read(ref _value);

    // After the write it records: a reader that sees the new number reads the new values.
    public void Bump() => Interlocked.Increment(ref _value);
}
