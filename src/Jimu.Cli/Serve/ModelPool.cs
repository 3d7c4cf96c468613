using System.Threading.Channels;
using Jimu.Models;

namespace Jimu.Cli.Serve;

/// <summary>
/// Copies of one model, each used by one request at a time: a model reuses its buffers from call to call, so
/// parallel requests each borrow their own copy. Borrowing waits when every copy is busy.
/// </summary>
public sealed class ModelPool
{
    private readonly Channel<Model> _free;

    /// <summary>Loads <paramref name="copies"/> copies of the model file.</summary>
    public ModelPool(string path, Architecture? architecture, int copies)
    {
        if (copies < 1) throw new ArgumentException($"The pool needs at least one model copy, got {copies}.");
        _free = Channel.CreateBounded<Model>(copies);
        Template = Model.Load(path, architecture);
        _free.Writer.TryWrite(Template);
        for (int i = 1; i < copies; i++) _free.Writer.TryWrite(Model.Load(path, architecture));
        Copies = copies;
    }

    /// <summary>The first copy, for what never changes: architecture, shapes, parameter count.</summary>
    public Model Template { get; }

    public int Copies { get; }

    /// <summary>Runs <paramref name="use"/> on a free copy, waiting for one if all are busy.</summary>
    public async ValueTask<T> UseAsync<T>(Func<Model, T> use, CancellationToken cancellation)
    {
        var model = await _free.Reader.ReadAsync(cancellation);
        try { return use(model); }
        finally { _free.Writer.TryWrite(model); }
    }
}
