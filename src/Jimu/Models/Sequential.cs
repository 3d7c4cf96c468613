using Jimu.Kernels;
using Jimu.Layers;
using Jimu.Tensors;

namespace Jimu.Models;

/// <summary>
/// Layers applied one after another. Parameters are named "layer.param" as in a PyTorch state_dict
/// ("conv1.weight"). The first layer computes no input gradient: nothing needs it. A ReLU directly followed by a
/// max pool runs inside the pool (<see cref="Steps"/>): the same numbers, two passes fewer over the larger tensor.
/// </summary>
public sealed class Sequential
{
    private readonly List<Layer> _layers = [];
    private readonly List<Layer> _steps = [];
    private readonly List<(string Name, Parameter Parameter)> _parameters = [];
    private readonly List<(string Name, LayerBuffer Buffer)> _buffers = [];
    // Per batch size of recent inference calls: whether to share each call's jobs with the workers (ParallelChoice).
    private readonly (int Batch, ParallelChoice Choice)[] _choices = new (int, ParallelChoice)[4];
    private int _nextChoice;

    /// <summary>Chains <paramref name="layers"/> for inputs of one sample's shape <paramref name="inputShape"/> (C, H, W), checking that each fits the previous one.</summary>
    public Sequential(IEnumerable<Layer> layers, int[] inputShape)
    {
        if (inputShape.Length == 0 || inputShape.Any(d => d < 1))
            throw new ArgumentException($"Input shape {Tensor.Format(inputShape)} must have positive dimensions (C, H, W without the batch).");
        InputShape = (int[])inputShape.Clone();
        foreach (var layer in layers) Add(layer);
        if (_layers.Count == 0) throw new ArgumentException("A model needs at least one layer.");
        // Validates that every layer fits the previous one's output, and fixes the output shape.
        OutputShape = ShapeAfter(_layers.Count, 1)[1..];
        PlanSteps();
        Context = new ComputeContext(1);
    }

    /// <summary>
    /// maxpool(relu(x)) = relu(maxpool(x)): the pool applies the ReLU, on 4× fewer values, and the ReLU layer is skipped.
    /// A BatchNorm applies the ReLU after it; with a 2×2 max pool after that, the pool normalises, rectifies and
    /// pools in one pass (<see cref="BatchNorm.FusedPool"/>). A first convolution followed by BatchNorm and ReLU sums
    /// the BatchNorm's statistics and forms its input gradient in its own kernel (<see cref="Conv2D.FusedBatchNorm"/>).
    /// The numbers are the unfused layers' up to the order of sums.
    /// </summary>
    private void PlanSteps()
    {
        // A layer may have been planned into another network before (BatchNormFolding reuses its twin's layers).
        foreach (var layer in _layers)
            switch (layer)
            {
                case BatchNorm b: b.AppliesRelu = false; b.FusedPool = null; break;
                case Conv2D c: c.FusedBatchNorm = null; break;
                case MaxPool2D m: m.AppliesRelu = false; m.FusedBatchNorm = null; break;
            }
        for (int i = 0; i < _layers.Count; i++)
        {
            // A convolution that needs no input gradient (the first layer) does its BatchNorm's statistics and
            // input-gradient passes in its own kernel (ConvBatchNorm), in training, where its algorithm can.
            if (_layers[i] is Conv2D { InputGradientRequired: false } conv && i + 2 < _layers.Count && _layers[i + 1] is BatchNorm2d next && _layers[i + 2] is Relu)
                conv.FusedBatchNorm = next;
            if (_layers[i] is BatchNorm bn && i + 1 < _layers.Count && _layers[i + 1] is Relu)
            {
                bn.AppliesRelu = true;
                _steps.Add(bn);
                if (bn is BatchNorm2d && i + 2 < _layers.Count && _layers[i + 2] is MaxPool2D { CanFuseBatchNorm: true } p)
                {
                    bn.FusedPool = p;
                    p.FusedBatchNorm = bn;
                    _steps.Add(p);
                    i++;
                }
                i++;
                continue;
            }
            if (_layers[i] is Relu relu && i + 1 < _layers.Count && _layers[i + 1] is MaxPool2D pool)
            {
                pool.AppliesRelu = true;
                pool.InputGradientRequired = relu.InputGradientRequired;
                continue;
            }
            _steps.Add(_layers[i]);
        }
    }

    private void Add(Layer layer)
    {
        if (_layers.Any(l => l.Name == layer.Name))
            throw new ArgumentException($"Two layers are named '{layer.Name}': layer names must be unique.");
        layer.InputGradientRequired = _layers.Count > 0;
        _layers.Add(layer);
        foreach (var p in layer.Parameters) _parameters.Add(($"{layer.Name}.{p.Name}", p));
        foreach (var b in layer.Buffers) _buffers.Add(($"{layer.Name}.{b.Name}", b));
    }

    /// <summary>
    /// The threads and scratch memory every layer runs on (set on each layer). By default a one-thread context of
    /// the network's own; give it one of <c>new ComputeContext(threads)</c> to use more, and dispose that context when
    /// done. One caller at a time: a network is not reentrant (<see cref="Model.Predict"/> is, through copies).
    /// </summary>
    public ComputeContext Context
    {
        get => field!;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            field = value;
            foreach (var layer in _layers) layer.Context = value;
            Array.Clear(_choices); // timings taken on other threads
            _nextChoice = 0;
        }
    }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <summary>
    /// The layers that <see cref="Forward"/> and <see cref="Backward"/> run, in order: <see cref="Layers"/> less each
    /// ReLU that runs inside the max pool after it.
    /// </summary>
    public IReadOnlyList<Layer> Steps => _steps;

    /// <summary>Shape of one input sample: C, H, W.</summary>
    public int[] InputShape { get; }

    /// <summary>Shape of one output sample (for a classifier: the number of classes).</summary>
    public int[] OutputShape { get; }

    /// <summary>Named parameters in layer order.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters => _parameters;

    /// <summary>Named buffers (saved, not trained: BatchNorm's running statistics) in layer order, "bn1.running_mean".</summary>
    public IReadOnlyList<(string Name, LayerBuffer Buffer)> Buffers => _buffers;

    /// <summary>Total number of trainable values.</summary>
    public long ParameterCount => _parameters.Sum(p => (long)p.Parameter.Value.Length);

    /// <summary>Sets training mode (dropout active) or evaluation mode on every layer.</summary>
    public bool Training
    {
        get => _layers[0].Training;
        set { foreach (var l in _layers) l.Training = value; }
    }

    /// <summary>The shape after the first <paramref name="count"/> layers for a batch of <paramref name="batch"/>.</summary>
    public int[] ShapeAfter(int count, int batch)
    {
        int[] shape = [batch, .. InputShape];
        for (int i = 0; i < count; i++)
        {
            try { shape = _layers[i].OutputShape(shape); }
            catch (ShapeException e) when (e.LayerIndex is null) { e.LayerIndex = i; throw; }
        }
        return shape;
    }

    /// <summary>Runs every layer on a batch [N, …InputShape] and returns the last layer's output (a buffer valid until the next call).</summary>
    public Tensor Forward(Tensor input)
    {
        if (input.Rank != InputShape.Length + 1 || !input.Shape[1..].SequenceEqual(InputShape))
            throw new ShapeException("Sequential.Forward", "input", [ShapeException.Any, .. InputShape], input.Shape.ToArray());
        var x = input;
        int step = 0;
        // In evaluation the same call repeats (one image per request, say): timed, it learns whether sharing pays.
        using var call = Context.Begin(Training || Context.Threads == 1 ? null : ChoiceFor(input.Shape[0]));
        try
        {
            for (; step < _steps.Count; step++) x = _steps[step].Forward(x);
        }
        catch (ShapeException e) when (e.LayerIndex is null) { e.LayerIndex = IndexOf(_steps[step]); throw; }
        call.Complete();
        return x;
    }

    /// <summary>The sharing choice of inference calls on batches of <paramref name="batch"/> (the last few sizes are kept).</summary>
    internal ParallelChoice ChoiceFor(int batch)
    {
        foreach (var (b, c) in _choices)
            if (b == batch && c is not null) return c;
        var choice = new ParallelChoice(ParallelChoice.DefaultMaxProbeTicks);
        _choices[_nextChoice] = (batch, choice);
        _nextChoice = (_nextChoice + 1) % _choices.Length;
        return choice;
    }

    /// <summary>The index in <see cref="Layers"/> of a layer of <see cref="Steps"/>.</summary>
    private int? IndexOf(Layer step)
    {
        for (int i = 0; i < _layers.Count; i++) if (ReferenceEquals(_layers[i], step)) return i;
        return null;
    }

    /// <summary>Back-propagates dLoss/dOutput through every layer, filling every parameter's gradient.</summary>
    public void Backward(Tensor outputGradient)
    {
        Tensor? g = outputGradient;
        int step = _steps.Count - 1;
        try
        {
            for (; step >= 0 && g is not null; step--) g = _steps[step].Backward(g);
        }
        catch (ShapeException e) when (e.LayerIndex is null) { e.LayerIndex = IndexOf(_steps[step]); throw; }
    }

    /// <summary>
    /// Makes <paramref name="twin"/> (a network built from the same architecture) compute what this one computes in
    /// evaluation mode: its parameters and buffers become views of this network's storage, so later training or
    /// loading shows through, and each layer's algorithm choice is copied. What a call keeps (activations, scratch,
    /// the kernels' working memory) stays the twin's own, which is what lets several threads run inference at once,
    /// each on its own twin.
    /// </summary>
    internal void ShareWeightsWith(Sequential twin)
    {
        if (twin._layers.Count != _layers.Count || twin._parameters.Count != _parameters.Count || twin._buffers.Count != _buffers.Count)
            throw new ArgumentException("The twin network has a different structure.", nameof(twin));
        for (int i = 0; i < _parameters.Count; i++) twin._parameters[i].Parameter.ShareWith(_parameters[i].Parameter);
        for (int i = 0; i < _buffers.Count; i++)
            if (_buffers[i].Buffer.Value is not null) twin._buffers[i].Buffer.ShareWith(_buffers[i].Buffer);
        for (int i = 0; i < _layers.Count; i++)
        {
            switch (_layers[i], twin._layers[i])
            {
                case (Conv2D a, Conv2D b): b.Algorithm = a.Algorithm; break;
                case (Pool2D a, Pool2D b): b.Algorithm = a.Algorithm; break;
            }
        }
        twin.Training = false;
    }

    /// <summary>The parameter of that state_dict name ("conv1.weight").</summary>
    public Parameter Parameter(string name) =>
        _parameters.FirstOrDefault(p => p.Name == name).Parameter
        ?? throw new KeyNotFoundException($"The model has no parameter '{name}'.");
}
