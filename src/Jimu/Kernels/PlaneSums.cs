using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Jimu.Kernels;

/// <summary>
/// One plane's part of a summing pass (<see cref="PlaneSums"/>): its two vector accumulators, and the sums of its
/// scalar tail (the values past the last whole vector) in double.
/// </summary>
internal interface IPlaneSums
{
    static abstract void Plane<S, V>(in BatchNormKernel.Pinned p, BatchNormChannels ch, int plane, int c, out V a, out V b, out double tailA, out double tailB)
        where S : struct, ISimdWidth<V> where V : struct;
}

/// <summary>
/// Two sums per plane over a range of planes (<see cref="BatchNormKernel"/>'s summing passes: plane i's go to
/// <c>Sums[i]</c> and <c>Sums[Items + i]</c>), without a horizontal sum per plane. With small planes (8×8 is four
/// 512-bit vectors) two horizontal sums cost more than the plane's loads and arithmetic. Here the accumulators of
/// G = L/2 planes are reduced together, all in registers, by one transpose-and-add tree:
/// <code>
/// Pair(u, v) = Even(u, v) + Odd(u, v)        (adjacent lanes added: u's in the low half, v's in the high half)
/// plane j:   w[j] = Pair(a[j], b[j])         (L/2 partial sums of a, then of b)
/// planes:    Pair(w[0], w[1]), then pairs of those, …  (log₂G levels)
/// result:    lane 2j = Σ a[j],  lane 2j + 1 = Σ b[j]
/// </code>
/// 3(2G − 1) operations for G planes (about 6 a plane at 512 bits, where two horizontal sums took some 50). Every
/// lane is added in the same pairwise order whichever planes share its group, and a group that a range's end leaves
/// short is filled with zeros, so a plane's sums do not depend on where a range starts: the split across threads
/// does not change a bit. Without vectors (<c>S.IsSupported</c> false) only the tails count, as the scalar loops make them.
/// </summary>
internal static unsafe class PlaneSums
{
    /// <summary>Planes [from, to) of pass P (plane = n·C + c in memory order).</summary>
    // Not inlined (it allocates on the stack): compiled optimised at once, with P's plane inlined.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<S, V, P>(in BatchNormKernel.Pinned p, BatchNormChannels ch, int from, int to)
        where S : struct, ISimdWidth<V> where V : struct where P : struct, IPlaneSums
    {
        double* first = p.Sums, second = p.Sums + p.Items;
        int plane = from, c = from % p.Channels;
        if (!S.IsSupported)
        {
            for (; plane < to; plane++, c = p.Next(c)) P.Plane<S, V>(p, ch, plane, c, out V _, out V _, out first[plane], out second[plane]);
            return;
        }
        int l = S.Lanes, g = l / 2;
        Debug.Assert(g is 2 or 4 or 8);
        double* tails = stackalloc double[2 * g];
        float* lanes = stackalloc float[2 * l];
        V w1 = S.Zero, w2 = S.Zero, w4 = S.Zero; // a pending w, pair of w's, pair of pairs
        for (; plane < to; )
        {
            int start = plane, count = Math.Min(g, to - plane);
            bool tailed = false;
            for (int i = 0; i < g; i++)
            {
                V a, b;
                double ta = 0, tb = 0;
                if (i < count)
                {
                    P.Plane<S, V>(p, ch, plane, c, out a, out b, out ta, out tb);
                    tailed |= ta != 0 | tb != 0;
                    plane++; c = p.Next(c);
                }
                else a = b = S.Zero;
                tails[i] = ta; tails[g + i] = tb;
                V w = Pair<S, V>(a, b);
                if ((i & 1) == 0) { w1 = w; continue; }
                w = Pair<S, V>(w1, w);
                if (g > 2)
                {
                    if ((i & 2) == 0) { w2 = w; continue; }
                    w = Pair<S, V>(w2, w);
                }
                if (g > 4)
                {
                    if ((i & 4) == 0) { w4 = w; continue; }
                    w = Pair<S, V>(w4, w);
                }
                // The group's last plane: lane 2j of w is plane j's first sum, lane 2j + 1 its second.
                V sa = S.Even(w, w), sb = S.Odd(w, w);
                if (count == g && !tailed)
                {
                    S.StoreLowerAsDoubles(first + start, sa);
                    S.StoreLowerAsDoubles(second + start, sb);
                }
                else
                {
                    S.Store(lanes, sa); S.Store(lanes + l, sb);
                    for (int j = 0; j < count; j++)
                    {
                        first[start + j] = lanes[j] + tails[j];
                        second[start + j] = lanes[l + j] + tails[g + j];
                    }
                }
            }
        }
    }

    /// <summary>Adjacent lanes of u added in the low half, of v in the high half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static V Pair<S, V>(V u, V v) where S : struct, ISimdWidth<V> where V : struct => S.Add(S.Even(u, v), S.Odd(u, v));
}
