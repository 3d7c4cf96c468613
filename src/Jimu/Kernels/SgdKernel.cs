using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>The settings of one <see cref="SgdKernel.Step"/>: learning rate, momentum μ, weight decay λ, Nesterov, and whether this is the first step.</summary>
internal readonly record struct SgdStep(float LearningRate, float Momentum, float WeightDecay, bool Nesterov, bool First);

/// <summary>
/// One torch.optim.SGD step (dampening 0) over a parameter tensor:
/// <code>
/// g = ∇ + λ·θ;  b = g on the first step, else b = μ·b + g;  g = g + μ·b (Nesterov) or b;  θ −= lr·g
/// </code>
/// With μ = 0 there is no buffer. Written once over the vector width (<see cref="ISimdWidth{V}"/>), one pass over
/// θ, ∇ and b, with the scalar operations in the scalar order (no fused multiply-add), so every element gets the
/// scalar formula's bits at every width; large tensors are split into contiguous ranges across the threads (the update
/// is elementwise: the split changes nothing), small ones run on the caller.
/// </summary>
internal static unsafe class SgdKernel
{
    // Blocks in order of elements: on the pool's home lanes, thread t of T steps the t-th range, the rows of a Linear
    // weight that it formed the gradient of and multiplies by (and a convolution's output channels in the same ranges).
    private const int MinParallelLength = 1 << 15, Blocks = 16;

    /// <summary>One step over the first <paramref name="length"/> elements; <paramref name="buffer"/> is unused without momentum.</summary>
    public static void Step(ComputeContext ctx, float[] w, float[] grad, float[] buffer, int length, in SgdStep k)
    {
        if (w.Length < length || grad.Length < length || (k.Momentum != 0f && buffer.Length < length))
            throw new ArgumentException("SGD: parameter, gradient and buffer are shorter than the length.");
        if (length < MinParallelLength)
        {
            Range(w, grad, buffer, 0, length, k);
            return;
        }
        var job = new Job(w, grad, buffer, length, k);
        ctx.For(Blocks, ref job);
    }

    private readonly struct Job(float[] w, float[] grad, float[] buffer, int length, SgdStep k) : IParallelJob
    {
        public void Run(int block, ComputeContext lane)
        {
            var (from, to) = BatchSplit.ElementRange(length, Blocks, block);
            Range(w, grad, buffer, from, to, k);
        }
    }

    private static void Range(float[] w, float[] grad, float[] buffer, int from, int to, in SgdStep k)
    {
        fixed (float* pw = w, pg = grad, pb = buffer)
        {
            int i = GemmMicroKernel.Selected switch
            {
                // The step waits on memory, and a float[] is seldom 64-byte aligned: 512-bit loads would mostly
                // straddle two cache lines (measured 10-20 % slower in a training step than 256-bit ones).
                GemmMicroKernel.Kind.Vector512 or GemmMicroKernel.Kind.Vector256 => Vectors<Simd256, Vector256<float>>(pw, pg, pb, from, to, k),
                GemmMicroKernel.Kind.Vector128 => Vectors<Simd128, Vector128<float>>(pw, pg, pb, from, to, k),
                _ => from,
            };
            Scalar(pw, pg, pb, i, to, k);
        }
    }

    /// <summary>Elements [from, to) one at a time: the formula itself, and the tail of the vector loop.</summary>
    internal static void Scalar(float* w, float* grad, float* buffer, int from, int to, in SgdStep k)
    {
        for (int i = from; i < to; i++)
        {
            float g = grad[i] + k.WeightDecay * w[i];
            if (k.Momentum != 0f)
            {
                float b = k.First ? g : k.Momentum * buffer[i] + g;
                buffer[i] = b;
                g = k.Nesterov ? g + k.Momentum * b : b;
            }
            w[i] -= k.LearningRate * g;
        }
    }

    /// <summary>The whole vectors of [from, to), four at a time then one; returns where the scalar tail starts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int Vectors<S, V>(float* w, float* grad, float* buffer, int from, int to, in SgdStep k)
        where S : struct, ISimdWidth<V> where V : struct
    {
        V lr = S.Broadcast(k.LearningRate), mu = S.Broadcast(k.Momentum), decay = S.Broadcast(k.WeightDecay);
        bool momentum = k.Momentum != 0f, nesterov = k.Nesterov, first = k.First;
        int lanes = S.Lanes, i = from;
        // The flags are the same for every element: their branches are predicted, and the loop waits on memory.
        for (; i + 4 * lanes <= to; i += 4 * lanes)
        {
            One<S, V>(w + i, grad + i, buffer + i, lr, mu, decay, momentum, nesterov, first);
            One<S, V>(w + i + lanes, grad + i + lanes, buffer + i + lanes, lr, mu, decay, momentum, nesterov, first);
            One<S, V>(w + i + 2 * lanes, grad + i + 2 * lanes, buffer + i + 2 * lanes, lr, mu, decay, momentum, nesterov, first);
            One<S, V>(w + i + 3 * lanes, grad + i + 3 * lanes, buffer + i + 3 * lanes, lr, mu, decay, momentum, nesterov, first);
        }
        for (; i + lanes <= to; i += lanes)
            One<S, V>(w + i, grad + i, buffer + i, lr, mu, decay, momentum, nesterov, first);
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void One<S, V>(float* w, float* grad, float* buffer, V lr, V mu, V decay, bool momentum, bool nesterov, bool first)
        where S : struct, ISimdWidth<V> where V : struct
    {
        V wi = S.Load(w);
        V g = S.Add(S.Load(grad), S.Mul(decay, wi));
        if (momentum)
        {
            V b = first ? g : S.Add(S.Mul(mu, S.Load(buffer)), g);
            S.Store(buffer, b);
            g = nesterov ? S.Add(g, S.Mul(mu, b)) : b;
        }
        S.Store(w, S.Sub(wi, S.Mul(lr, g)));
    }
}
