namespace Jimu.Kernels;

/// <summary>
/// A Linear layer's weights W[n×k] packed for <see cref="SparseGemv"/>, P[c][q][j] = W[c·B + j, q], and what they
/// were packed from: the weight array and its version (the layer's <c>Parameter.Version</c>). Shared by every view of
/// the weights (a model's inference copies), so the copy exists once per model; the first caller that finds it out of
/// date repacks it under a lock, and the others wait for it. Packing costs tens of one-image products, so it happens
/// only when the same weights are used a second time (<see cref="Ready"/>): a model that predicts one image and exits
/// never pays for it (its one product gathers the rows from W instead, with the same sums).
/// </summary>
internal sealed unsafe class SparseGemvWeights
{
    private readonly Lock _lock = new();
    private AlignedBuffer? _packed;
    // What the packed copy was made from; -1: nothing.
    private float[]? _source;
    private long _version = -1;
    private int _rows, _columns;
    // The weights of the last call that did not pack: packing waits for their second use.
    private float[]? _seen;
    private long _seenVersion = -1;

    /// <summary>The packed copy (valid after <see cref="Ready"/> returned true, until the weights change).</summary>
    public float* Packed => _packed!.Pointer;

    /// <summary>
    /// Whether the packed copy holds <paramref name="weight"/> [<paramref name="rows"/>×<paramref name="columns"/>] at
    /// <paramref name="version"/>, packing it first when this is the second call that asks for them. False: read the
    /// weights where they are this time.
    /// </summary>
    public bool Ready(float[] weight, long version, int rows, int columns)
    {
        if (Holds(weight, version, rows, columns)) return true;
        lock (_lock)
        {
            if (Holds(weight, version, rows, columns)) return true;
            if (!ReferenceEquals(_seen, weight) || _seenVersion != version)
            {
                _seen = weight; _seenVersion = version;
                return false;
            }
            long size = SparseGemv.PackedLength(rows, columns);
            _version = -1; // not valid while it is rewritten
            AlignedBuffer.Ensure(ref _packed, size);
            SparseGemv.Pack(weight, rows, columns, _packed!.Pointer);
            _source = weight; _rows = rows; _columns = columns;
            Volatile.Write(ref _version, version);
            return true;
        }
    }

    private bool Holds(float[] weight, long version, int rows, int columns) =>
        Volatile.Read(ref _version) == version && ReferenceEquals(_source, weight) && _rows == rows && _columns == columns;
}
