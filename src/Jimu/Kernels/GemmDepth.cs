namespace Jimu.Kernels;

/// <summary>
/// C = op(A)·op(B) summed over fixed groups of the inner dimension: C = Σ_g op(A)[:, P_g]·op(B)[P_g, :], P_g the g-th
/// of <see cref="Groups"/> equal ranges of p (<see cref="BatchSplit.Range"/>). Group 0 goes into C, group 1 into
/// scratch, then C += group 1, split by row ranges. On T threads, item t computes group t·G/T (its share of the
/// group's columns), then adds rows [t·m/T, (t+1)·m/T). A Linear layer's dx = dy·W cut this way reads on each thread
/// only the weight rows that thread owns, and each image's row of dx ends on the thread that owns the image: the
/// threads exchange m×n floats once, not the weights.
/// </summary>
internal static unsafe class GemmDepth
{
    /// <summary>Groups of p summed apart: fixed, so the bits do not depend on the thread count.</summary>
    public const int Groups = 2;

    /// <summary>Items of the group products on <paramref name="threads"/> threads: at least one per group.</summary>
    public static int Parts(int threads) => Math.Max(Groups, threads);

    /// <summary>The group item <paramref name="part"/> of <paramref name="parts"/> works on, its index among the items of that group, and how many they are.</summary>
    public static (int Group, int Item, int Items) Share(int part, int parts)
    {
        int group = part * Groups / parts;
        int first = (group * parts + Groups - 1) / Groups, next = ((group + 1) * parts + Groups - 1) / Groups;
        return (group, part - first, next - first);
    }

    /// <summary>C[m×n] (stride ldc) += second[m×n] (stride n), split into row ranges over the threads of <paramref name="ctx"/>.</summary>
    public static void AddSecond(ComputeContext ctx, float* c, int ldc, float* second, int m, int n)
    {
        var job = new SumRowsJob(c, ldc, second, m, n, Math.Min(ctx.Threads, m));
        if (job.Parts <= 1) job.Run(0, ctx);
        else ctx.For(job.Parts, ref job);
    }

    private readonly struct SumRowsJob(float* c, int ldc, float* second, int m, int n, int parts) : IParallelJob
    {
        public readonly int Parts = parts;

        public void Run(int part, ComputeContext lane)
        {
            var (r0, r1) = BatchSplit.Range(m, part, Parts);
            for (int i = r0; i < r1; i++)
                Elementwise.Add(new Span<float>(c + (long)i * ldc, n), new ReadOnlySpan<float>(second + (long)i * n, n));
        }
    }

    /// <summary>The dense product by groups (see <see cref="GemmSplit.Depth"/>); k ≥ <see cref="Groups"/>.</summary>
    public static void Run(ComputeContext ctx, in GemmProblem p)
    {
        float* second = ctx.Workspace.Floats(Scratch.DepthPartial, (long)p.M * p.N);
        if (ctx.Threads == 1 || (long)p.M * p.N * p.K < GemmDriver.ParallelThreshold)
        {
            // Small (a classifier's last layer): the same groups, on the caller.
            var alone = new GroupsJob(p, second, Groups);
            for (int g = 0; g < Groups; g++) alone.Run(g, ctx);
            new SumRowsJob(p.C, p.Ldc, second, p.M, p.N, 1).Run(0, ctx);
            return;
        }
        var job = new GroupsJob(p, second, Parts(ctx.Threads));
        ctx.For(job.Parts, ref job);
        AddSecond(ctx, p.C, p.Ldc, second, p.M, p.N);
    }

    private readonly struct GroupsJob(GemmProblem p, float* second, int parts) : IParallelJob
    {
        public readonly int Parts = parts;

        public void Run(int part, ComputeContext lane)
        {
            var (group, item, items) = Share(part, Parts);
            var (p0, p1) = BatchSplit.Range(p.K, group, Groups);
            // op(A)[:, p0..p1) and op(B)[p0..p1, :] are offsets into the stored matrices.
            float* a = p.TransA ? p.A + (long)p0 * p.Lda : p.A + p0;
            float* b = p.TransB ? p.B + p0 : p.B + (long)p0 * p.Ldb;
            bool first = group == 0;
            var sub = new GemmProblem(p.M, p.N, p1 - p0, a, p.Lda, p.TransA, b, p.Ldb, p.TransB,
                first ? p.C : second, first ? p.Ldc : p.N, first && p.Accumulate);
            int nr = GemmMicroKernel.NR, tiles = (p.N + nr - 1) / nr;
            var (t0, t1) = BatchSplit.Range(tiles, item, items);
            int j0 = Math.Min(p.N, t0 * nr), j1 = Math.Min(p.N, t1 * nr);
            if (j0 < j1) GemmDriver.Compute(sub, 0, p.M, j0, j1, lane.Workspace);
        }
    }
}
