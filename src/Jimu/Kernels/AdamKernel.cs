using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>The per-step constants of <see cref="AdamKernel.Step"/>, as torch.optim.Adam derives them.</summary>
/// <param name="Beta1">β₁.</param>
/// <param name="OneMinusBeta1">1 − β₁.</param>
/// <param name="Beta2">β₂.</param>
/// <param name="OneMinusBeta2">1 − β₂.</param>
/// <param name="Bias2Sqrt">√(1 − β₂ᵗ).</param>
/// <param name="Epsilon">ε.</param>
/// <param name="StepSize">lr / (1 − β₁ᵗ).</param>
/// <param name="WeightDecay">λ (0 for a parameter without decay).</param>
internal readonly record struct AdamStep(float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2, float Bias2Sqrt,
    float Epsilon, float StepSize, float WeightDecay);

/// <summary>
/// One torch.optim.Adam step over a parameter tensor (L2 weight decay added to the gradient, not AdamW):
/// <code>
/// g = ∇ + λ·θ;  m = β₁·m + (1−β₁)·g;  v = β₂·v + (1−β₂)·g·g;  θ −= s·m / (√v / √(1−β₂ᵗ) + ε)
/// </code>
/// Written once over the vector width (<see cref="ISimdWidth{V}"/>) with the scalar operations in the scalar order
/// (no fused multiply-add, a correctly rounded √ and division), so every element gets the scalar formula's bits; large
/// tensors are split into contiguous ranges across the threads, small ones run on the caller.
/// </summary>
internal static unsafe class AdamKernel
{
    private const int MinParallelLength = 1 << 15, Blocks = 16;

    /// <summary>One step over the first <paramref name="length"/> elements of w, with its gradient and moments m and v.</summary>
    public static void Step(ComputeContext ctx, float[] w, float[] grad, float[] m, float[] v, int length, in AdamStep k)
    {
        if (grad.Length < length || m.Length < length || v.Length < length || w.Length < length)
            throw new ArgumentException("Adam: parameter, gradient and moment buffers are shorter than the length.");
        if (length < MinParallelLength)
        {
            Range(w, grad, m, v, 0, length, k);
            return;
        }
        var job = new Job(w, grad, m, v, length, k);
        ctx.For(Blocks, ref job);
    }

    private readonly struct Job(float[] w, float[] grad, float[] m, float[] v, int length, AdamStep k) : IParallelJob
    {
        public void Run(int block, ComputeContext lane)
        {
            var (from, to) = BatchSplit.ElementRange(length, Blocks, block);
            Range(w, grad, m, v, from, to, k);
        }
    }

    private static void Range(float[] w, float[] grad, float[] m, float[] v, int from, int to, in AdamStep k)
    {
        fixed (float* pw = w, pg = grad, pm = m, pv = v)
        {
            int i = GemmMicroKernel.Selected switch
            {
                GemmMicroKernel.Kind.Vector512 => Vectors<Simd512, Vector512<float>>(pw, pg, pm, pv, from, to, k),
                GemmMicroKernel.Kind.Vector256 => Vectors<Simd256, Vector256<float>>(pw, pg, pm, pv, from, to, k),
                GemmMicroKernel.Kind.Vector128 => Vectors<Simd128, Vector128<float>>(pw, pg, pm, pv, from, to, k),
                _ => from,
            };
            Scalar(pw, pg, pm, pv, i, to, k);
        }
    }

    /// <summary>Elements [from, to) one at a time: the formula itself, and the tail of the vector loop.</summary>
    internal static void Scalar(float* w, float* grad, float* m, float* v, int from, int to, in AdamStep k)
    {
        for (int i = from; i < to; i++)
        {
            float g = grad[i] + k.WeightDecay * w[i];
            m[i] = k.Beta1 * m[i] + k.OneMinusBeta1 * g;
            v[i] = k.Beta2 * v[i] + k.OneMinusBeta2 * g * g;
            float denom = MathF.Sqrt(v[i]) / k.Bias2Sqrt + k.Epsilon;
            w[i] -= k.StepSize * m[i] / denom;
        }
    }

    /// <summary>The whole vectors of [from, to); returns where the scalar tail starts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int Vectors<S, V>(float* w, float* grad, float* m, float* v, int from, int to, in AdamStep k)
        where S : struct, ISimdWidth<V> where V : struct
    {
        V decay = S.Broadcast(k.WeightDecay), b1 = S.Broadcast(k.Beta1), c1 = S.Broadcast(k.OneMinusBeta1);
        V b2 = S.Broadcast(k.Beta2), c2 = S.Broadcast(k.OneMinusBeta2), bias2Sqrt = S.Broadcast(k.Bias2Sqrt);
        V eps = S.Broadcast(k.Epsilon), stepSize = S.Broadcast(k.StepSize);
        int i = from;
        for (; i + S.Lanes <= to; i += S.Lanes)
        {
            V wi = S.Load(w + i);
            V g = S.Add(S.Load(grad + i), S.Mul(decay, wi));
            V mi = S.Add(S.Mul(b1, S.Load(m + i)), S.Mul(c1, g));
            V vi = S.Add(S.Mul(b2, S.Load(v + i)), S.Mul(S.Mul(c2, g), g));
            V denom = S.Add(S.Div(S.Sqrt(vi), bias2Sqrt), eps);
            S.Store(m + i, mi);
            S.Store(v + i, vi);
            S.Store(w + i, S.Sub(wi, S.Div(S.Mul(stepSize, mi), denom)));
        }
        return i;
    }
}
