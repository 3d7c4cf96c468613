using Jimu.Kernels;
using Jimu.Tensors;

namespace Jimu.Layers;

/// <summary>
/// Fully connected layer (PyTorch's Linear): y = x·Wᵀ + b, with x [N, in], weight W [out, in], bias b [out], y [N, out].
/// Backward: dW = dyᵀ·x [out, in], db = Σ_n dy[n, :] [out], dx = dy·W [N, in]; when dy is mostly zeros (a ReLU and a
/// dropout after the layer) both products skip them (<see cref="SparseGemm"/>).
/// Parameters start at zero; <see cref="Models.Initializer"/> gives PyTorch's default initialisation.
/// </summary>
public sealed class Linear : Layer
{
    private readonly Parameter _weight;
    private readonly Parameter? _bias;
    private readonly Parameter[] _parameters;
    private Tensor? _input, _output, _inputGradient;

    /// <summary>A fully connected layer [N, in] → [N, out]; parameters start at zero until initialised or loaded.</summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true, string name = "fc") : base(name)
    {
        if (inFeatures < 1 || outFeatures < 1)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear '{name}': feature counts must be at least 1, got in={inFeatures}, out={outFeatures}.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        _weight = new Parameter("weight", outFeatures, inFeatures);
        _bias = bias ? new Parameter("bias", outFeatures) : null;
        _parameters = _bias is null ? [_weight] : [_weight, _bias];
    }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }
    /// <summary>Output features.</summary>
    public int OutFeatures { get; }
    /// <summary>Whether the layer adds a bias.</summary>
    public bool HasBias => _bias is not null;
    /// <summary>W [out, in].</summary>
    public Parameter Weight => _weight;
    /// <summary>b [out], or null without bias.</summary>
    public Parameter? Bias => _bias;
    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => _parameters;

    /// <inheritdoc/>
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        Check(inputShape);
        return [inputShape[0], OutFeatures];
    }

    private void Check(ReadOnlySpan<int> shape)
    {
        if (shape.Length != 2)
            throw ShapeError("input", [ShapeException.Any, InFeatures], shape, "2-D", shape.Length > 2 ? "put a Flatten layer before it" : null);
        if (shape[1] != InFeatures)
            throw ShapeError("input", [ShapeException.Any, InFeatures], shape, $"{InFeatures} input features");
    }

    // x [N, in] → y [N, out] = x·Wᵀ + b
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        Check(input.Shape);
        int n = input.Dim(0);
        _input = input;
        var y = Tensor.Ensure(ref _output, n, OutFeatures);
        // One image in evaluation: its input is mostly a ReLU's zeros, whose weights a packed copy lets it skip.
        if (n == 1 && !Training && SparseGemv.Pays(OutFeatures, InFeatures))
            SparseGemv.Multiply(Context, _weight.Derived<SparseGemvWeights>(), _weight.Version, _weight.Value.Data, OutFeatures, InFeatures, input.Span, y.Span);
        else
            Gemm.Multiply(Context, n, OutFeatures, InFeatures, input.Span, InFeatures, false, _weight.Value.Span, InFeatures, true, y.Span, OutFeatures,
                split: Training ? GemmSplit.Columns : GemmSplit.Auto); // training: each thread multiplies by the weight rows it owns
        if (_bias is not null)
            for (int i = 0; i < n; i++) Elementwise.Add(y.Span.Slice(i * OutFeatures, OutFeatures), _bias.Value.Span);
        return y;
    }

    // dy [N, out] → dW = dyᵀ·x [out, in], db = Σ_n dy [out], dx = dy·W [N, in]
    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGradient)
    {
        if (_input is null || _output is null) throw new InvalidOperationException($"Linear '{Name}': Backward called before Forward.");
        CheckOutputGradient(_output, outputGradient);
        int n = _output.Dim(0);
        var dy = outputGradient.Span;
        // Behind a ReLU and a dropout most of dy is zeros: both products then read only the rows its non-zeros select.
        // Each thread keeps the weight rows it owns (its home range of output features, which the forward product's
        // columns and the optimizer's element ranges also give it): it forms those rows of dW, and dx from those rows
        // of W, summed with the other threads' share per image range (GemmSplit.Depth).
        bool sparse = SparseGemm.Pays(SparseGemm.CountNonZero(dy), dy.Length);
        if (sparse) SparseGemm.Multiply(Context, OutFeatures, InFeatures, n, dy, OutFeatures, true, _input.Span, InFeatures, _weight.Grad.Span, InFeatures, GemmSplit.Rows);
        else Gemm.Multiply(Context, OutFeatures, InFeatures, n, dy, OutFeatures, true, _input.Span, InFeatures, false, _weight.Grad.Span, InFeatures, split: GemmSplit.Rows);
        if (_bias is not null)
        {
            var db = _bias.Grad.Span;
            db.Clear();
            for (int i = 0; i < n; i++) Elementwise.Add(db, dy.Slice(i * OutFeatures, OutFeatures));
        }
        if (!InputGradientRequired) return null;
        var dx = Tensor.Ensure(ref _inputGradient, n, InFeatures);
        if (sparse) SparseGemm.Multiply(Context, n, InFeatures, OutFeatures, dy, OutFeatures, false, _weight.Value.Span, InFeatures, dx.Span, InFeatures, GemmSplit.Depth);
        else Gemm.Multiply(Context, n, InFeatures, OutFeatures, dy, OutFeatures, false, _weight.Value.Span, InFeatures, false, dx.Span, InFeatures, split: GemmSplit.Depth);
        return dx;
    }

    /// <inheritdoc/>
    public override string Describe() => $"Linear {InFeatures} -> {OutFeatures}{(HasBias ? "" : ", no bias")}";
}
