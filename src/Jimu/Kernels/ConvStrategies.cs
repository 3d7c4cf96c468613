using Jimu.Layers;

namespace Jimu.Kernels;

/// <summary>
/// The convolution algorithms, registered in one place. <see cref="All"/> lists every one, the reference
/// (<see cref="Direct"/>) first; ConvStrategyTests checks each against it on the shapes it supports, so a strategy
/// added here is tested without another line. <see cref="ConvAlgorithm.Auto"/> takes the first of
/// <see cref="AutoOrder"/> that supports the geometry and prefers it; an algorithm asked for by name that does not
/// support the geometry runs as <see cref="Im2Col"/>, which supports every one.
/// </summary>
internal static class ConvStrategies
{
    /// <summary>Plain nested loops: the reference, slow.</summary>
    public static readonly ConvStrategy Direct = new DirectStrategy();
    /// <summary>Unfold + GEMM: any geometry.</summary>
    public static readonly ConvStrategy Im2Col = new Im2ColStrategy();
    /// <summary>Winograd F(4×4, 5×5) (or F(2×2, 5×5)) and F(4×4, 3×3): 5×5 and 3×3 kernels at stride 1, at every vector width.</summary>
    public static readonly ConvStrategy Winograd = new WinogradStrategy();
    /// <summary>Direct loops vectorised along output rows: stride 1, kernels up to 8 wide, any vector width.</summary>
    public static readonly ConvStrategy Vectorized = new VectorizedStrategy();

    /// <summary>Stride 2: im2col's GEMMs on patch matrices made through phase planes.</summary>
    public static readonly ConvStrategy Strided = new StridedStrategy();

    /// <summary>Every registered strategy, the reference first.</summary>
    public static IReadOnlyList<ConvStrategy> All => _all;

    // Arrays, walked by index: Resolve runs on every forward pass and must not allocate an enumerator.
    private static readonly ConvStrategy[] _all = [Direct, Im2Col, Winograd, Vectorized, Strided];

    /// <summary>The order in which <see cref="ConvAlgorithm.Auto"/> considers them; the last supports everything.</summary>
    public static IReadOnlyList<ConvStrategy> AutoOrder => _autoOrder;

    private static readonly ConvStrategy[] _autoOrder = [Winograd, Vectorized, Strided, Im2Col];

    /// <summary>The strategy that runs <paramref name="algorithm"/> on geometry <paramref name="g"/>.</summary>
    public static ConvStrategy Resolve(ConvAlgorithm algorithm, in ConvGeometry g, bool inputGradientRequired)
    {
        if (algorithm == ConvAlgorithm.Auto)
        {
            foreach (var s in _autoOrder)
                if (s.Supports(g) && s.PreferredFor(g, inputGradientRequired)) return s;
            return Im2Col;
        }
        foreach (var s in _all)
            if (s.Algorithm == algorithm) return s.Supports(g) ? s : Im2Col;
        throw new ArgumentOutOfRangeException(nameof(algorithm), $"No convolution strategy is registered for {algorithm}.");
    }

    /// <summary>Input channels from which Auto prefers Winograd for 5×5 kernels to im2col (below that the transforms cost more than they save).</summary>
    public const int WinogradMinChannels = 4;

    /// <summary>Input channels from which Auto prefers Winograd F(4×4, 3×3): a 3×3 kernel has fewer taps to save on (see Conv2D).</summary>
    public const int Winograd3x3MinChannels = 8;

    /// <summary>The channel count from which Auto prefers Winograd for <paramref name="g"/>'s kernel size.</summary>
    private static int WinogradMinChannelsFor(in ConvGeometry g) => g.KernelH == 3 ? Winograd3x3MinChannels : WinogradMinChannels;

    private sealed class DirectStrategy : ConvStrategy
    {
        public override ConvAlgorithm Algorithm => ConvAlgorithm.Direct;
        public override bool Supports(in ConvGeometry g) => true;
        public override bool PreferredFor(in ConvGeometry g, bool inputGradientRequired) => false;

        // Buffers may be longer than the tensors they hold: the loops take exact spans.
        public override void Forward(ComputeContext ctx, ConvCache cache, float[] x, float[] weight, float[]? bias, float[] y, int batch, int outChannels, in ConvGeometry g) =>
            ConvDirect.Forward(x.AsSpan(0, batch * g.InSize), weight.AsSpan(0, outChannels * g.PatchSize), bias.AsSpan(0, bias is null ? 0 : outChannels),
                y.AsSpan(0, batch * outChannels * g.OutPlane), batch, outChannels, g);

        public override void BackwardWeights(ComputeContext ctx, ConvCache cache, float[] x, float[] dy, float[] dWeight, float[]? dBias, int batch, int outChannels, in ConvGeometry g) =>
            ConvDirect.BackwardWeights(x.AsSpan(0, batch * g.InSize), dy.AsSpan(0, batch * outChannels * g.OutPlane),
                dWeight.AsSpan(0, outChannels * g.PatchSize), dBias.AsSpan(0, dBias is null ? 0 : outChannels), batch, outChannels, g);

        public override void BackwardInput(ComputeContext ctx, ConvCache cache, float[] dy, float[] weight, float[] dx, int batch, int outChannels, in ConvGeometry g) =>
            ConvDirect.BackwardInput(dy.AsSpan(0, batch * outChannels * g.OutPlane), weight.AsSpan(0, outChannels * g.PatchSize),
                dx.AsSpan(0, batch * g.InSize), batch, outChannels, g);
    }

    private sealed class Im2ColStrategy : ConvStrategy
    {
        public override ConvAlgorithm Algorithm => ConvAlgorithm.Im2Col;
        public override bool Supports(in ConvGeometry g) => true;
        public override bool PreferredFor(in ConvGeometry g, bool inputGradientRequired) => true;

        public override void Forward(ComputeContext ctx, ConvCache cache, float[] x, float[] weight, float[]? bias, float[] y, int batch, int outChannels, in ConvGeometry g) =>
            ConvIm2Col.Forward(ctx, x, weight, bias, y, batch, outChannels, g);

        public override void BackwardWeights(ComputeContext ctx, ConvCache cache, float[] x, float[] dy, float[] dWeight, float[]? dBias, int batch, int outChannels, in ConvGeometry g) =>
            ConvIm2Col.Backward(ctx, x, [], dy, dWeight, dBias, null, batch, outChannels, g);

        public override void BackwardInput(ComputeContext ctx, ConvCache cache, float[] dy, float[] weight, float[] dx, int batch, int outChannels, in ConvGeometry g) =>
            ConvIm2Col.BackwardInput(ctx, weight, dy, dx, batch, outChannels, g);

        // One pass over the batch for both gradients.
        public override void Backward(ComputeContext ctx, ConvCache cache, float[] x, float[] weight, float[] dy, float[] dWeight, float[]? dBias, float[]? dx, int batch, int outChannels, in ConvGeometry g) =>
            ConvIm2Col.Backward(ctx, x, weight, dy, dWeight, dBias, dx, batch, outChannels, g);
    }

    private sealed class WinogradStrategy : ConvStrategy
    {
        public override ConvAlgorithm Algorithm => ConvAlgorithm.Winograd;
        public override bool Supports(in ConvGeometry g) => ConvWinograd.Supports(g);
        public override bool PreferredFor(in ConvGeometry g, bool inputGradientRequired) => g.Channels >= WinogradMinChannelsFor(g);

        public override void Forward(ComputeContext ctx, ConvCache cache, float[] x, float[] weight, float[]? bias, float[] y, int batch, int outChannels, in ConvGeometry g) =>
            ConvWinograd.Forward(ctx, cache.Winograd, x, weight, bias, y, batch, outChannels, g);

        public override void BackwardWeights(ComputeContext ctx, ConvCache cache, float[] x, float[] dy, float[] dWeight, float[]? dBias, int batch, int outChannels, in ConvGeometry g) =>
            ConvWinograd.BackwardWeights(ctx, x, dy, dWeight, dBias, batch, outChannels, g);

        public override void BackwardInput(ComputeContext ctx, ConvCache cache, float[] dy, float[] weight, float[] dx, int batch, int outChannels, in ConvGeometry g) =>
            ConvWinograd.BackwardInput(ctx, cache.WinogradRotated, dy, weight, dx, batch, outChannels, g);
    }

    private sealed class VectorizedStrategy : ConvStrategy
    {
        public override ConvAlgorithm Algorithm => ConvAlgorithm.Vectorized;
        public override bool Supports(in ConvGeometry g) => ConvVectorized.Supports(g);
        // For few input channels (a first layer), where im2col's product is too shallow; it has no input gradient of its own.
        public override bool PreferredFor(in ConvGeometry g, bool inputGradientRequired) => g.Channels < WinogradMinChannelsFor(g) && !inputGradientRequired;

        public override void Forward(ComputeContext ctx, ConvCache cache, float[] x, float[] weight, float[]? bias, float[] y, int batch, int outChannels, in ConvGeometry g) =>
            ConvVectorized.Forward(ctx, x, weight, bias, y, batch, outChannels, g);

        public override void BackwardWeights(ComputeContext ctx, ConvCache cache, float[] x, float[] dy, float[] dWeight, float[]? dBias, int batch, int outChannels, in ConvGeometry g) =>
            ConvVectorized.BackwardWeights(ctx, x, dy, dWeight, dBias, batch, outChannels, g);

        public override bool FusesBatchNorm(in ConvGeometry g) => Supports(g);

        public override void ForwardWithBatchNorm(ComputeContext ctx, ConvCache cache, float[] x, float[] weight, float[]? bias, float[] y, int batch, int outChannels, in ConvGeometry g, ConvBatchNorm bn) =>
            ConvVectorized.Forward(ctx, x, weight, bias, y, batch, outChannels, g, bn);

        public override void BackwardWeightsThroughBatchNorm(ComputeContext ctx, ConvCache cache, float[] x, ConvBatchNorm bn, float[] dWeight, float[]? dBias, int batch, int outChannels, in ConvGeometry g) =>
            ConvVectorized.BackwardWeights(ctx, x, [], dWeight, dBias, batch, outChannels, g, bn);

        // The input gradient is im2col's.
        public override void BackwardInput(ComputeContext ctx, ConvCache cache, float[] dy, float[] weight, float[] dx, int batch, int outChannels, in ConvGeometry g) =>
            ConvIm2Col.BackwardInput(ctx, weight, dy, dx, batch, outChannels, g);

        // A layer that needs dx gets im2col's fused pass for both gradients (as it always has).
        public override void Backward(ComputeContext ctx, ConvCache cache, float[] x, float[] weight, float[] dy, float[] dWeight, float[]? dBias, float[]? dx, int batch, int outChannels, in ConvGeometry g)
        {
            if (dx is null) BackwardWeights(ctx, cache, x, dy, dWeight, dBias, batch, outChannels, g);
            else ConvIm2Col.Backward(ctx, x, weight, dy, dWeight, dBias, dx, batch, outChannels, g);
        }
    }

    private sealed class StridedStrategy : ConvStrategy
    {
        public override ConvAlgorithm Algorithm => ConvAlgorithm.Strided;
        public override bool Supports(in ConvGeometry g) => Im2ColStride2.Applies(g);
        // A 1×1 kernel reads a quarter of the input, which im2col gathers directly; splitting all of it costs more
        // (batch 64, 64→128 channels, 28×28: 0.6–0.8× im2col's speed). From 2×2 the phase planes pay: 1.0–1.4×.
        public override bool PreferredFor(in ConvGeometry g, bool inputGradientRequired) => g.KernelH >= 2 && g.KernelW >= 2;

        public override void Forward(ComputeContext ctx, ConvCache cache, float[] x, float[] weight, float[]? bias, float[] y, int batch, int outChannels, in ConvGeometry g) =>
            ConvIm2Col.Forward<Stride2Patches>(ctx, x, weight, bias, y, batch, outChannels, g);

        public override void BackwardWeights(ComputeContext ctx, ConvCache cache, float[] x, float[] dy, float[] dWeight, float[]? dBias, int batch, int outChannels, in ConvGeometry g) =>
            ConvIm2Col.Backward<Stride2Patches>(ctx, x, [], dy, dWeight, dBias, null, batch, outChannels, g);

        public override void BackwardInput(ComputeContext ctx, ConvCache cache, float[] dy, float[] weight, float[] dx, int batch, int outChannels, in ConvGeometry g) =>
            ConvIm2Col.BackwardInput<Stride2Patches>(ctx, weight, dy, dx, batch, outChannels, g);

        public override void Backward(ComputeContext ctx, ConvCache cache, float[] x, float[] weight, float[] dy, float[] dWeight, float[]? dBias, float[]? dx, int batch, int outChannels, in ConvGeometry g) =>
            ConvIm2Col.Backward<Stride2Patches>(ctx, x, weight, dy, dWeight, dBias, dx, batch, outChannels, g);
    }
}
