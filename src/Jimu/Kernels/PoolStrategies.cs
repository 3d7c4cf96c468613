using Jimu.Layers;

namespace Jimu.Kernels;

/// <summary>
/// The pooling algorithms, registered in one place. <see cref="All"/> lists every one, the reference
/// (<see cref="Direct"/>) first; PoolStrategyTests checks each against it on the shapes it supports, so a strategy
/// added here is tested without another line. An algorithm that does not support a geometry runs as Direct.
/// </summary>
internal static class PoolStrategies
{
    /// <summary>Loops over every window, images split over the threads (<see cref="PoolParallel"/>): the reference, and the default.</summary>
    public static readonly PoolStrategy Direct = new DirectStrategy();
    /// <summary>Unfold the windows (<see cref="PoolIm2Col"/>), reduce, fold back.</summary>
    public static readonly PoolStrategy Im2Col = new Im2ColStrategy();

    /// <summary>Every registered strategy, the reference first.</summary>
    public static IReadOnlyList<PoolStrategy> All => _all;

    // Arrays, walked by index: Resolve runs on every forward pass and must not allocate an enumerator.
    private static readonly PoolStrategy[] _all = [Direct, Im2Col];

    /// <summary>The strategy that runs <paramref name="algorithm"/> on geometry <paramref name="g"/>.</summary>
    public static PoolStrategy Resolve(PoolAlgorithm algorithm, in ConvGeometry g)
    {
        foreach (var s in _all)
            if (s.Algorithm == algorithm) return s.Supports(g) ? s : Direct;
        throw new ArgumentOutOfRangeException(nameof(algorithm), $"No pooling strategy is registered for {algorithm}.");
    }

    private sealed class DirectStrategy : PoolStrategy
    {
        public override PoolAlgorithm Algorithm => PoolAlgorithm.Direct;
        public override bool Supports(in ConvGeometry g) => true;

        public override void MaxForward(ComputeContext ctx, float[] x, float[] y, int[] argmax, int batch, in ConvGeometry g, bool relu) =>
            PoolParallel.MaxForward(ctx, x, g, batch, y, argmax, relu);

        public override void MaxBackward(ComputeContext ctx, float[] dy, int[] argmax, float[] dx, int batch, in ConvGeometry g) =>
            PoolParallel.MaxBackward(ctx, dy, argmax, g, batch, dx);

        public override void AvgForward(ComputeContext ctx, float[] x, float[] y, int batch, in ConvGeometry g) =>
            PoolParallel.AvgForward(ctx, x, g, batch, y);

        public override void AvgBackward(ComputeContext ctx, float[] dy, float[] dx, int batch, in ConvGeometry g) =>
            PoolParallel.AvgBackward(ctx, dy, g, batch, dx);
    }

    /// <summary>On the calling thread, through the context's <see cref="Scratch.PoolPatches"/>.</summary>
    private sealed class Im2ColStrategy : PoolStrategy
    {
        public override PoolAlgorithm Algorithm => PoolAlgorithm.Im2Col;
        public override bool Supports(in ConvGeometry g) => true;

        private static Span<float> Patches(ComputeContext ctx, in ConvGeometry g) =>
            ctx.Workspace.Span(Scratch.PoolPatches, g.PatchSize * g.OutPlane);

        public override void MaxForward(ComputeContext ctx, float[] x, float[] y, int[] argmax, int batch, in ConvGeometry g, bool relu)
        {
            int outputs = batch * g.Channels * g.OutPlane;
            PoolIm2Col.MaxForward(x.AsSpan(0, batch * g.InSize), g, batch, Patches(ctx, g), y.AsSpan(0, outputs), argmax.AsSpan(0, outputs));
            if (relu) PoolDirect.ReluOfMax(y.AsSpan(0, outputs), argmax.AsSpan(0, outputs));
        }

        public override void MaxBackward(ComputeContext ctx, float[] dy, int[] argmax, float[] dx, int batch, in ConvGeometry g)
        {
            int outputs = batch * g.Channels * g.OutPlane;
            PoolIm2Col.MaxBackward(dy.AsSpan(0, outputs), argmax.AsSpan(0, outputs), g, batch, Patches(ctx, g), dx.AsSpan(0, batch * g.InSize));
        }

        public override void AvgForward(ComputeContext ctx, float[] x, float[] y, int batch, in ConvGeometry g) =>
            PoolIm2Col.AvgForward(x.AsSpan(0, batch * g.InSize), g, batch, Patches(ctx, g), y.AsSpan(0, batch * g.Channels * g.OutPlane));

        public override void AvgBackward(ComputeContext ctx, float[] dy, float[] dx, int batch, in ConvGeometry g) =>
            PoolIm2Col.AvgBackward(dy.AsSpan(0, batch * g.Channels * g.OutPlane), g, batch, Patches(ctx, g), dx.AsSpan(0, batch * g.InSize));
    }
}
