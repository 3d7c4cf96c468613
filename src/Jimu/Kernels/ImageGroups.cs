namespace Jimu.Kernels;

/// <summary>
/// A batch's images cut into a fixed number of contiguous groups for a weight gradient, which is a sum over images:
/// each group's partial sum is formed on one thread, in image order, into its own slot, and the slots are added up
/// along one fixed pairwise tree. The groups depend only on the batch size, never on the thread count, so the sum
/// has the same bits on any number of threads. The threads split the groups as <see cref="BatchSplit"/> splits the
/// images (part p of T: groups [p·G/T, (p+1)·G/T), which for T dividing G are images [p·N/T, (p+1)·N/T), the range
/// that part p has in every other layer), and each part adds the tree nodes whose groups are all its own before the
/// caller's last pass (<see cref="ReduceRest"/>, split by weight range) adds the rest: what crosses between threads
/// is one slot per part, not a share of every image's data.
/// <code>
/// G = min(8, ⌈N / 4⌉)            groups of at least ~4 images: the GEMM depth of a group stays useful
/// sum = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))      (a missing right child is skipped)
/// </code>
/// </summary>
internal readonly unsafe struct ImageGroups
{
    /// <summary>The most groups of a batch.</summary>
    public const int MaxGroups = 8;

    /// <summary>Images in a group, at least (where the batch allows more than one group).</summary>
    private const int MinImages = 4;

    /// <summary>The batch size.</summary>
    public readonly int Batch;
    /// <summary>Groups G of the batch.</summary>
    public readonly int Count;
    /// <summary>Parts (jobs' items) the groups are split into on the context's threads.</summary>
    public readonly int Parts;

    /// <summary>The groups of a batch of <paramref name="batch"/> images, split over <paramref name="threads"/> threads.</summary>
    public ImageGroups(int batch, int threads)
    {
        Batch = batch;
        Count = GroupsOf(batch);
        Parts = BatchSplit.Parts(threads, Count);
    }

    /// <summary>How many groups a batch of <paramref name="batch"/> images has: min(8, ⌈N / 4⌉), at least 1.</summary>
    public static int GroupsOf(int batch) => Math.Clamp((batch + MinImages - 1) / MinImages, 1, MaxGroups);

    /// <summary>Images [Start, End) of group <paramref name="group"/>.</summary>
    public (int Start, int End) Images(int group) => BatchSplit.Range(Batch, group, Count);

    /// <summary>Groups [Start, End) of part <paramref name="part"/>.</summary>
    public (int Start, int End) GroupsOfPart(int part) => BatchSplit.Range(Count, part, Parts);

    /// <summary>
    /// Adds up, in each tree node whose groups all belong to part <paramref name="part"/>, its children's slots into its
    /// first group's slot (<paramref name="slots"/>: G slots of <paramref name="slotSize"/> floats).
    /// </summary>
    public void ReduceWithin(int part, float* slots, long slotSize)
    {
        var (start, end) = GroupsOfPart(part);
        Within(0, RootSize, start, end, slots, slotSize);
    }

    /// <summary>
    /// The tree nodes that <see cref="ReduceWithin"/> left (their groups span parts), over elements [<paramref name="from"/>,
    /// <paramref name="to"/>) of each slot: after every part's <see cref="ReduceWithin"/>, slot 0 then holds the sum there.
    /// </summary>
    public void ReduceRest(float* slots, long slotSize, long from, long to) =>
        Rest(0, RootSize, slots, slotSize, from, to);

    /// <summary>The sum of the float64 partials <paramref name="partial"/>[g·<paramref name="length"/> + i] over the groups, in group order.</summary>
    public void SumDoubles(ReadOnlySpan<double> partial, int length, Span<float> sum)
    {
        for (int i = 0; i < length; i++)
        {
            double s = 0;
            for (int g = 0; g < Count; g++) s += partial[g * length + i];
            sum[i] = (float)s;
        }
    }

    // The smallest power of two at least G: the root node's width.
    private int RootSize => (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Count);

    // Node (first, size): groups [first, min(first + size, G)).
    private void Within(int first, int size, int start, int end, float* slots, long slotSize)
    {
        int last = Math.Min(first + size, Count);
        if (last <= start || first >= end) return;
        if (first >= start && last <= end) { Sum(first, size, slots, slotSize, 0, slotSize); return; }
        Within(first, size / 2, start, end, slots, slotSize);
        Within(first + size / 2, size / 2, start, end, slots, slotSize);
    }

    private void Rest(int first, int size, float* slots, long slotSize, long from, long to)
    {
        int last = Math.Min(first + size, Count);
        if (size == 1 || InOnePart(first, last)) return;
        int half = size / 2;
        Rest(first, half, slots, slotSize, from, to);
        if (first + half >= Count) return;
        Rest(first + half, half, slots, slotSize, from, to);
        Add(slots + first * slotSize, slots + (first + half) * slotSize, from, to);
    }

    // The whole subtree of node (first, size), into slot first.
    private void Sum(int first, int size, float* slots, long slotSize, long from, long to)
    {
        if (size == 1) return;
        int half = size / 2;
        Sum(first, half, slots, slotSize, from, to);
        if (first + half >= Count) return;
        Sum(first + half, half, slots, slotSize, from, to);
        Add(slots + first * slotSize, slots + (first + half) * slotSize, from, to);
    }

    // Whether groups [first, last) all belong to one part (so that part's ReduceWithin summed them).
    private bool InOnePart(int first, int last)
    {
        int part = PartOf(first);
        return GroupsOfPart(part).End >= last;
    }

    private int PartOf(int group)
    {
        for (int p = 0; ; p++)
            if (GroupsOfPart(p).End > group) return p;
    }

    private static void Add(float* dst, float* src, long from, long to)
    {
        for (long i = from; i < to; i += int.MaxValue / 2)
        {
            int n = (int)Math.Min(to - i, int.MaxValue / 2);
            Elementwise.Add(new Span<float>(dst + i, n), new ReadOnlySpan<float>(src + i, n));
        }
    }
}
