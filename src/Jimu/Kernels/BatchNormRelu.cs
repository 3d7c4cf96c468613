using System.Runtime.CompilerServices;

namespace Jimu.Kernels;

/// <summary>
/// One plane of batch normalisation followed by a ReLU (<see cref="BatchNormActivation.Relu"/>), each way inside the
/// passes of batch normalisation alone (the ReLU's own two passes over the tensor are gone). With z = x·a + b (a, b
/// the channel's scale and shift; one <c>S.Fma</c>):
/// <code>
/// Forward:   y = z &gt; 0 ? z : 0
/// Sums:      g = z &gt; 0 ? dy : 0 (dy with respect to y);  (Σ g,  Σ g·(x − mean))
/// Gradient:  dx = g·k + x·p + c
/// </code>
/// The backward passes recompute z with the forward's FMA, so the mask is exactly the forward's (no mask is kept).
/// </summary>
internal static unsafe class BatchNormRelu
{
    /// <summary>y = max(x·a + b, 0), NaN → 0 (the mask z &gt; 0 of the backward passes, exactly).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Forward<S, V>(float* x, int len, float a, float b, float* y) where S : struct, ISimdWidth<V> where V : struct
    {
        int l = S.Lanes, j = 0;
        if (S.IsSupported)
        {
            V va = S.Broadcast(a), vb = S.Broadcast(b);
            for (; j + l <= len; j += l)
            {
                var z = S.Fma(S.Load(x + j), va, vb);
                S.Store(y + j, S.Select(S.GreaterThan(z, S.Zero), z, S.Zero));
            }
        }
        for (; j < len; j++)
        {
            float z = S.Fma(x[j], a, b);
            y[j] = z > 0 ? z : 0;
        }
    }

    /// <summary>
    /// (Σ g, Σ g·(x − mean)) with g = dy where x·a + b &gt; 0, else 0: vector accumulators and the tail's sums (<see cref="IPlaneSums"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sums<S, V>(float* x, float* dy, int len, float a, float b, float mean, out V sumG, out V sumGX, out double tailG, out double tailGX)
        where S : struct, ISimdWidth<V> where V : struct
    {
        int l = S.Lanes, j = 0;
        double sa = 0, sb = 0;
        V a0 = S.Zero, a1 = S.Zero, b0 = S.Zero, b1 = S.Zero;
        if (S.IsSupported)
        {
            V va = S.Broadcast(a), vb = S.Broadcast(b), m = S.Broadcast(mean);
            for (; j + 2 * l <= len; j += 2 * l)
            {
                V x0 = S.Load(x + j), x1 = S.Load(x + j + l);
                V g0 = S.Select(S.GreaterThan(S.Fma(x0, va, vb), S.Zero), S.Load(dy + j), S.Zero);
                V g1 = S.Select(S.GreaterThan(S.Fma(x1, va, vb), S.Zero), S.Load(dy + j + l), S.Zero);
                a0 = S.Add(a0, g0); a1 = S.Add(a1, g1);
                b0 = S.Fma(g0, S.Sub(x0, m), b0);
                b1 = S.Fma(g1, S.Sub(x1, m), b1);
            }
            for (; j + l <= len; j += l)
            {
                V x0 = S.Load(x + j);
                V g0 = S.Select(S.GreaterThan(S.Fma(x0, va, vb), S.Zero), S.Load(dy + j), S.Zero);
                a0 = S.Add(a0, g0); b0 = S.Fma(g0, S.Sub(x0, m), b0);
            }
        }
        for (; j < len; j++)
        {
            if (!(S.Fma(x[j], a, b) > 0)) continue;
            sa += dy[j]; sb += dy[j] * ((double)x[j] - mean);
        }
        // Without vectors the accumulators are unused (PlaneSums takes the tails alone).
        sumG = S.IsSupported ? S.Add(a0, a1) : S.Zero; sumGX = S.IsSupported ? S.Add(b0, b1) : S.Zero;
        (tailG, tailGX) = (sa, sb);
    }

    /// <summary>dx = g·k + x·p + c, g = dy where x·a + b &gt; 0, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Gradient<S, V>(float* dy, float* x, int len, float a, float b, float k, float p, float c, float* dx)
        where S : struct, ISimdWidth<V> where V : struct
    {
        int l = S.Lanes, j = 0;
        if (S.IsSupported)
        {
            V va = S.Broadcast(a), vb = S.Broadcast(b), vk = S.Broadcast(k), vp = S.Broadcast(p), vc = S.Broadcast(c);
            for (; j + l <= len; j += l)
            {
                V x0 = S.Load(x + j);
                V g = S.Select(S.GreaterThan(S.Fma(x0, va, vb), S.Zero), S.Load(dy + j), S.Zero);
                S.Store(dx + j, S.Fma(g, vk, S.Fma(x0, vp, vc)));
            }
        }
        for (; j < len; j++)
        {
            float g = S.Fma(x[j], a, b) > 0 ? dy[j] : 0f;
            dx[j] = S.Fma(g, k, S.Fma(x[j], p, c));
        }
    }
}
