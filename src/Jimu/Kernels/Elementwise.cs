using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Jimu.Kernels;

/// <summary>
/// Element-wise operations over spans. Memory-bound, so <see cref="Vector{T}"/> width is enough.
/// Each method's summary gives its exact scalar meaning.
/// </summary>
internal static class Elementwise
{
    /// <summary>dst[i] = src[i] / 255f (the same correctly rounded division as the scalar form, 16, 8 or 4 values at a time).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BytesToUnit(ReadOnlySpan<byte> src, Span<float> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException($"Destination has {dst.Length} elements, need {src.Length}.");
        int i = 0;
        ref byte s = ref MemoryMarshal.GetReference(src);
        ref float d = ref MemoryMarshal.GetReference(dst);
        // vpmovzxbd widens 16 (8) bytes to int32 lanes in one instruction.
        if (Avx512F.IsSupported)
        {
            var k = Vector512.Create(255f);
            for (; i + 16 <= src.Length; i += 16)
            {
                var w = Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref s, (nuint)i));
                (Vector512.ConvertToSingle(w) / k).StoreUnsafe(ref d, (nuint)i);
            }
        }
        else if (Avx2.IsSupported)
        {
            var k = Vector256.Create(255f);
            for (; i + 16 <= src.Length; i += 8)
            {
                var w = Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref s, (nuint)i));
                (Vector256.ConvertToSingle(w) / k).StoreUnsafe(ref d, (nuint)i);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            // NEON and 128-bit x86: 16 bytes widened to four vectors of four int32 lanes.
            var k = Vector128.Create(255f);
            for (; i + 16 <= src.Length; i += 16)
            {
                var (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref s, (nuint)i));
                var (w0, w1) = Vector128.Widen(lo);
                var (w2, w3) = Vector128.Widen(hi);
                (Vector128.ConvertToSingle(w0.AsInt32()) / k).StoreUnsafe(ref d, (nuint)i);
                (Vector128.ConvertToSingle(w1.AsInt32()) / k).StoreUnsafe(ref d, (nuint)(i + 4));
                (Vector128.ConvertToSingle(w2.AsInt32()) / k).StoreUnsafe(ref d, (nuint)(i + 8));
                (Vector128.ConvertToSingle(w3.AsInt32()) / k).StoreUnsafe(ref d, (nuint)(i + 12));
            }
        }
        for (; i < src.Length; i++) dst[i] = src[i] / 255f;
    }

    /// <summary>dst[i] += src[i]</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(Span<float> dst, ReadOnlySpan<float> src)
    {
        Check(dst.Length, src.Length);
        int i = 0;
        var d = MemoryMarshal.Cast<float, Vector<float>>(dst);
        var s = MemoryMarshal.Cast<float, Vector<float>>(src);
        for (; i < d.Length; i++) d[i] += s[i];
        for (i *= Vector<float>.Count; i < dst.Length; i++) dst[i] += src[i];
    }

    /// <summary>dst[i] += alpha · src[i]</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddScaled(Span<float> dst, ReadOnlySpan<float> src, float alpha)
    {
        Check(dst.Length, src.Length);
        int i = 0;
        var d = MemoryMarshal.Cast<float, Vector<float>>(dst);
        var s = MemoryMarshal.Cast<float, Vector<float>>(src);
        var a = new Vector<float>(alpha);
        for (; i < d.Length; i++) d[i] += a * s[i];
        for (i *= Vector<float>.Count; i < dst.Length; i++) dst[i] += alpha * src[i];
    }

    /// <summary>dst[i] *= alpha</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scale(Span<float> dst, float alpha)
    {
        int i = 0;
        var d = MemoryMarshal.Cast<float, Vector<float>>(dst);
        var a = new Vector<float>(alpha);
        for (; i < d.Length; i++) d[i] *= a;
        for (i *= Vector<float>.Count; i < dst.Length; i++) dst[i] *= alpha;
    }

    /// <summary>dst[i] += value</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddScalar(Span<float> dst, float value)
    {
        int i = 0;
        var d = MemoryMarshal.Cast<float, Vector<float>>(dst);
        var v = new Vector<float>(value);
        for (; i < d.Length; i++) d[i] += v;
        for (i *= Vector<float>.Count; i < dst.Length; i++) dst[i] += value;
    }

    /// <summary>Σ x[i], accumulated in double for accuracy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Sum(ReadOnlySpan<float> x)
    {
        // Partial sums in float vectors of short runs, folded into a double: accurate and fast.
        double total = 0;
        const int Block = 256;
        for (int start = 0; start < x.Length; start += Block)
        {
            var run = x.Slice(start, Math.Min(Block, x.Length - start));
            var v = MemoryMarshal.Cast<float, Vector<float>>(run);
            var acc = Vector<float>.Zero;
            for (int i = 0; i < v.Length; i++) acc += v[i];
            float s = Vector.Sum(acc);
            for (int i = v.Length * Vector<float>.Count; i < run.Length; i++) s += run[i];
            total += s;
        }
        return total;
    }

    /// <summary>y[i] = max(x[i], 0)</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        Check(y.Length, x.Length);
        int i = 0;
        var xs = MemoryMarshal.Cast<float, Vector<float>>(x);
        var ys = MemoryMarshal.Cast<float, Vector<float>>(y);
        for (; i < xs.Length; i++) ys[i] = Vector.Max(xs[i], Vector<float>.Zero);
        for (i *= Vector<float>.Count; i < x.Length; i++) y[i] = x[i] > 0f ? x[i] : 0f;
    }

    /// <summary>dx[i] = y[i] &gt; 0 ? dy[i] : 0, where y is the ReLU output (y &gt; 0 exactly where x &gt; 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        Check(y.Length, dy.Length); Check(dx.Length, dy.Length);
        int i = 0;
        var ys = MemoryMarshal.Cast<float, Vector<float>>(y);
        var dys = MemoryMarshal.Cast<float, Vector<float>>(dy);
        var dxs = MemoryMarshal.Cast<float, Vector<float>>(dx);
        for (; i < ys.Length; i++)
            dxs[i] = Vector.ConditionalSelect(Vector.GreaterThan(ys[i], Vector<float>.Zero), dys[i], Vector<float>.Zero);
        for (i *= Vector<float>.Count; i < y.Length; i++) dx[i] = y[i] > 0f ? dy[i] : 0f;
    }

    /// <summary>z[i] = x[i] · y[i]</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> z)
    {
        Check(x.Length, y.Length); Check(z.Length, x.Length);
        int i = 0;
        var xs = MemoryMarshal.Cast<float, Vector<float>>(x);
        var ys = MemoryMarshal.Cast<float, Vector<float>>(y);
        var zs = MemoryMarshal.Cast<float, Vector<float>>(z);
        for (; i < xs.Length; i++) zs[i] = xs[i] * ys[i];
        for (i *= Vector<float>.Count; i < x.Length; i++) z[i] = x[i] * y[i];
    }

    /// <summary>Adds bias[c] to every element of channel c of one C×plane image: x[c·plane + p] += bias[c].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddChannelBias(Span<float> x, ReadOnlySpan<float> bias, int plane)
    {
        for (int c = 0; c < bias.Length; c++) AddScalar(x.Slice(c * plane, plane), bias[c]);
    }

    private static void Check(int a, int b)
    {
        if (a != b) throw new ArgumentException($"Span lengths differ: {a} and {b}.");
    }
}
