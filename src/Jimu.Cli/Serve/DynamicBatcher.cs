using System.Threading.Channels;
using Jimu.Models;
using Jimu.Tensors;

namespace Jimu.Cli.Serve;

/// <summary>
/// Dynamic batching (`jimu serve --batch-window MS`): single-image requests that arrive within the window share one
/// forward pass of up to <c>maxBatch</c> images. A batch reads each weight once for all its images (mnist-tf's fc1
/// alone is 6.4 MB), at the price of up to one window of waiting. A batched image's logits may differ from a lone
/// one's in the last bits (the kernels block the work by batch size), so this is off unless asked for.
/// Several batches run at once (one worker per core; <see cref="Model.Predict"/> is reentrant).
/// </summary>
public sealed class DynamicBatcher : IAsyncDisposable
{
    private sealed record Pending(float[] Pixels, TaskCompletionSource<Prediction> Done);

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly Model _model;
    private readonly TimeSpan _window;
    private readonly int _maxBatch;
    private readonly Task[] _workers;

    public DynamicBatcher(Model model, TimeSpan window, int maxBatch, int workers)
    {
        _model = model; _window = window; _maxBatch = maxBatch;
        _workers = Enumerable.Range(0, Math.Max(1, workers)).Select(_ => Task.Run(Work)).ToArray();
    }

    /// <summary>Batches served and images in them, for the server's log line at exit.</summary>
    public long Batches => Interlocked.Read(ref _batches);
    public long Images => Interlocked.Read(ref _images);
    private long _batches, _images;

    public Task<Prediction> PredictAsync(float[] pixels)
    {
        var pending = new Pending(pixels, new TaskCompletionSource<Prediction>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending)) throw new InvalidOperationException("The server is stopping.");
        return pending.Done.Task;
    }

    private async Task Work()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>(_maxBatch);
        while (await reader.WaitToReadAsync())
        {
            if (!reader.TryRead(out var first)) continue;
            batch.Clear();
            batch.Add(first);
            var deadline = DateTime.UtcNow + _window;
            while (batch.Count < _maxBatch)
            {
                if (reader.TryRead(out var next)) { batch.Add(next); continue; }
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) break;
                using var timeout = new CancellationTokenSource(left);
                try { if (!await reader.WaitToReadAsync(timeout.Token)) break; }
                catch (OperationCanceledException) { break; }
            }
            Run(batch);
        }
    }

    private void Run(List<Pending> batch)
    {
        try
        {
            int per = batch[0].Pixels.Length;
            var x = new Tensor([batch.Count, .. _model.Network.InputShape]);
            for (int i = 0; i < batch.Count; i++) batch[i].Pixels.CopyTo(x.Data, i * per);
            var predictions = _model.Predict(x);
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _images, batch.Count);
            for (int i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(predictions[i]);
        }
        catch (Exception e)
        {
            foreach (var p in batch) p.Done.TrySetException(e);
        }
    }

    /// <summary>Answers what is queued, then stops the workers.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers);
    }
}
