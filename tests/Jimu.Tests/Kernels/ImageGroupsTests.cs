using Jimu.Kernels;

namespace Jimu.Tests.Kernels;

/// <summary>
/// <see cref="ImageGroups"/>: the groups depend on the batch alone, the parts' groups are the images every other layer
/// gives those threads, and the tree over the groups' slots adds in the same order however the parts cut it.
/// </summary>
public unsafe class ImageGroupsTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(4, 1)]
    [InlineData(5, 2)]
    [InlineData(13, 4)]
    [InlineData(32, 8)]
    [InlineData(64, 8)]
    [InlineData(1000, 8)]
    public void The_group_count_depends_on_the_batch_alone(int batch, int groups)
    {
        Assert.Equal(groups, ImageGroups.GroupsOf(batch));
        foreach (int threads in new[] { 1, 2, 3, 8, 16 }) Assert.Equal(groups, new ImageGroups(batch, threads).Count);
    }

    [Theory]
    [InlineData(64, 2)]
    [InlineData(65, 2)]
    [InlineData(64, 4)]
    [InlineData(100, 8)]
    [InlineData(31, 2)]
    public void A_part_takes_the_images_BatchSplit_gives_its_thread(int batch, int threads)
    {
        var groups = new ImageGroups(batch, threads);
        Assert.Equal(0, groups.Count % threads); // the cases: thread counts that divide the group count
        for (int part = 0; part < groups.Parts; part++)
        {
            var (first, last) = groups.GroupsOfPart(part);
            Assert.Equal(BatchSplit.Range(batch, part, threads), (groups.Images(first).Start, groups.Images(last - 1).End));
        }
    }

    [Fact]
    public void Groups_cover_the_batch_in_order()
    {
        foreach (int batch in new[] { 1, 3, 7, 9, 33, 64, 257 })
        {
            var groups = new ImageGroups(batch, 2);
            int next = 0;
            for (int g = 0; g < groups.Count; g++)
            {
                var (start, end) = groups.Images(g);
                Assert.Equal(next, start);
                Assert.True(end > start, $"group {g} of batch {batch} is empty");
                next = end;
            }
            Assert.Equal(batch, next);
        }
    }

    /// <summary>
    /// Slot values chosen so that the order of additions shows in the bits (large and small terms that cancel):
    /// any part count and any cut of the last pass by element range gives the explicit pairwise tree's sums.
    /// </summary>
    [Fact]
    public void The_tree_sum_is_the_same_bits_for_every_part_count_and_range_cut()
    {
        const int size = 37;
        var rng = new Random(7);
        for (int count = 1; count <= ImageGroups.MaxGroups; count++)
        {
            int batch = 4 * count;
            var values = new float[count * size];
            for (int i = 0; i < values.Length; i++)
                values[i] = (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-3, 8)));
            var expected = new float[size];
            for (int e = 0; e < size; e++) expected[e] = Pairwise(values, size, e, 0, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)count), count);

            foreach (int threads in new[] { 1, 2, 3, 4, 5, 8 })
                foreach (int cuts in new[] { 1, 2, 3 })
                {
                    var groups = new ImageGroups(batch, threads);
                    Assert.Equal(count, groups.Count);
                    var slots = (float[])values.Clone();
                    fixed (float* s = slots)
                    {
                        // The parts in reverse order: each part's nodes are its own, whatever runs first.
                        for (int part = groups.Parts - 1; part >= 0; part--) groups.ReduceWithin(part, s, size);
                        for (int cut = 0; cut < cuts; cut++)
                        {
                            var (from, to) = BatchSplit.Range(size, cut, cuts);
                            groups.ReduceRest(s, size, from, to);
                        }
                    }
                    Assert.True(expected.AsSpan().SequenceEqual(slots.AsSpan(0, size)),
                        $"{count} groups, {threads} threads, {cuts} cuts: {string.Join(", ", slots.Take(size))} against {string.Join(", ", expected)}");
                }
        }
    }

    [Fact]
    public void The_tree_is_pairwise_not_left_to_right()
    {
        // Pairwise, (1e8 + 1) + (−1e8 + 1) loses both ones (float spacing at 1e8 is 8): 0; left to right keeps the last: 1.
        float[] values = [1e8f, 1f, -1e8f, 1f];
        var groups = new ImageGroups(16, 1);
        Assert.Equal(4, groups.Count);
        fixed (float* s = values)
        {
            groups.ReduceWithin(0, s, 1);
            groups.ReduceRest(s, 1, 0, 1);
        }
        Assert.Equal((1e8f + 1f) + (-1e8f + 1f), values[0]);
        Assert.NotEqual(((1e8f + 1f) + -1e8f) + 1f, values[0]);
    }

    [Fact]
    public void Bias_partials_add_in_group_order()
    {
        var groups = new ImageGroups(12, 2);
        Assert.Equal(3, groups.Count);
        double[] partial = [1, 10, 2, 20, 3, 30];
        var sum = new float[2];
        groups.SumDoubles(partial, 2, sum);
        Assert.Equal([6f, 60f], sum);
    }

    // The sum of groups [first, min(first + width, count)) along the pairwise tree, element e.
    private static float Pairwise(float[] values, int size, int e, int first, int width, int count)
    {
        if (width == 1) return values[first * size + e];
        int half = width / 2;
        float left = Pairwise(values, size, e, first, half, count);
        return first + half >= count ? left : left + Pairwise(values, size, e, first + half, half, count);
    }
}
