namespace Jimu.Layers;

/// <summary>
/// Zero padding of the two spatial axes, possibly asymmetric. <see cref="Same"/> and <see cref="Valid"/>
/// follow TensorFlow: for "same", out = ceil(in / stride), total = max((out − 1)·stride + k − in, 0),
/// with total / 2 before and the remainder after (the extra row or column goes to the bottom/right).
/// </summary>
public readonly record struct Padding
{
    /// <summary>How the padding is given.</summary>
    public enum PaddingMode
    {
        /// <summary>Rows and columns on each side, as given.</summary>
        Explicit,
        /// <summary>TensorFlow's "same", resolved per input size.</summary>
        Same,
        /// <summary>TensorFlow's "valid": none.</summary>
        Valid,
    }

    /// <summary>Explicit, or TensorFlow's "same" / "valid" resolved per input size.</summary>
    public PaddingMode Mode { get; }
    private readonly int _top, _bottom, _left, _right;

    private Padding(PaddingMode mode, int top, int bottom, int left, int right)
    {
        if (top < 0 || bottom < 0 || left < 0 || right < 0)
            throw new ArgumentOutOfRangeException(nameof(top), $"Padding must be non-negative, got ({top}, {bottom}, {left}, {right}).");
        Mode = mode; _top = top; _bottom = bottom; _left = left; _right = right;
    }

    /// <summary>TensorFlow's "same": output = ceil(input / stride), the extra row/column at the bottom/right.</summary>
    public static Padding Same => new(PaddingMode.Same, 0, 0, 0, 0);
    /// <summary>TensorFlow's "valid": no padding.</summary>
    public static Padding Valid => new(PaddingMode.Valid, 0, 0, 0, 0);
    /// <summary>No padding.</summary>
    public static Padding Zero => new(PaddingMode.Explicit, 0, 0, 0, 0);
    /// <summary>The same padding p on all four sides (PyTorch's padding=p).</summary>
    public static Padding Symmetric(int p) => new(PaddingMode.Explicit, p, p, p, p);
    /// <summary>PyTorch's padding=(ph, pw).</summary>
    public static Padding Symmetric(int ph, int pw) => new(PaddingMode.Explicit, ph, ph, pw, pw);
    /// <summary>Padding of the given rows and columns on each side.</summary>
    public static Padding Explicit(int top, int bottom, int left, int right) => new(PaddingMode.Explicit, top, bottom, left, right);

    /// <summary>The same padding on every side.</summary>
    public static implicit operator Padding(int p) => Symmetric(p);

    /// <summary>Parses "same", "valid", "2", "1,2" (h,w) or "t,b,l,r".</summary>
    public static Padding Parse(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        if (t == "same") return Same;
        if (t == "valid") return Valid;
        var parts = t.Split(',', StringSplitOptions.TrimEntries);
        try
        {
            var v = parts.Select(int.Parse).ToArray();
            return v.Length switch
            {
                1 => Symmetric(v[0]),
                2 => Symmetric(v[0], v[1]),
                4 => Explicit(v[0], v[1], v[2], v[3]),
                _ => throw new FormatException(),
            };
        }
        catch (FormatException)
        {
            throw new FormatException($"Invalid padding '{text}': use 'same', 'valid', an integer p, 'ph,pw' or 'top,bottom,left,right'.");
        }
    }

    /// <summary>Resolves to concrete (before, after) amounts for one axis.</summary>
    public (int Before, int After) Resolve(int input, int kernel, int stride, bool vertical)
    {
        switch (Mode)
        {
            case PaddingMode.Valid: return (0, 0);
            case PaddingMode.Same:
                int output = (input + stride - 1) / stride;
                int total = Math.Max((output - 1) * stride + kernel - input, 0);
                return (total / 2, total - total / 2);
            default:
                return vertical ? (_top, _bottom) : (_left, _right);
        }
    }

    /// <summary>A short description for messages and summaries.</summary>
    public override string ToString() => Mode switch
    {
        PaddingMode.Same => "same",
        PaddingMode.Valid => "valid",
        _ => _top == _bottom && _left == _right
            ? (_top == _left ? $"{_top}" : $"{_top},{_left}")
            : $"{_top},{_bottom},{_left},{_right}",
    };
}
