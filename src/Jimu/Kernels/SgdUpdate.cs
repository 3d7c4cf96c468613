using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Jimu.Kernels;

/// <summary>
/// One torch.optim.SGD step (dampening 0) over a parameter tensor, vectorised:
/// g = ∇ + λ·θ;  b = g on the first step, else b = μ·b + g;  g = g + μ·b (Nesterov) or b;  θ −= lr·g.
/// With μ = 0 there is no buffer.
/// </summary>
internal static class SgdUpdate
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Step(Span<float> w, ReadOnlySpan<float> grad, Span<float> buffer,
        float lr, float momentum, float weightDecay, bool nesterov, bool first)
    {
        if (grad.Length != w.Length || (momentum != 0f && buffer.Length != w.Length))
            throw new ArgumentException("SGD: parameter, gradient and buffer lengths differ.");
        var vw = MemoryMarshal.Cast<float, Vector<float>>(w);
        var vg = MemoryMarshal.Cast<float, Vector<float>>(grad);
        var vb = momentum != 0f ? MemoryMarshal.Cast<float, Vector<float>>(buffer) : default;
        Vector<float> vlr = new(lr), vmu = new(momentum), vwd = new(weightDecay);
        int i = 0;
        for (; i < vw.Length; i++)
        {
            var g = vg[i] + vwd * vw[i];
            if (momentum != 0f)
            {
                var b = first ? g : vmu * vb[i] + g;
                vb[i] = b;
                g = nesterov ? g + vmu * b : b;
            }
            vw[i] -= vlr * g;
        }
        for (i *= Vector<float>.Count; i < w.Length; i++)
        {
            float g = grad[i] + weightDecay * w[i];
            if (momentum != 0f)
            {
                float b = first ? g : momentum * buffer[i] + g;
                buffer[i] = b;
                g = nesterov ? g + momentum * b : b;
            }
            w[i] -= lr * g;
        }
    }
}
