namespace Jimu.Kernels;

/// <summary>
/// Scratch memory of one <see cref="ComputeContext"/>, by <see cref="Scratch"/> slot: 64-byte aligned floats,
/// grown on demand and never shrunk, so a kernel allocates nothing once the shapes are seen. What a slot holds is
/// undefined when a kernel gets it: scratch lives for one kernel call (results the next call needs, such as what a
/// backward pass reuses from its forward pass, belong to the layer, not here).
/// </summary>
internal sealed unsafe class Workspace
{
    private readonly AlignedBuffer?[] _buffers = new AlignedBuffer?[Enum.GetValues<Scratch>().Length];
    private readonly float[]?[] _arrays = new float[]?[Enum.GetValues<Scratch>().Length];
    private readonly double[]?[] _doubles = new double[]?[Enum.GetValues<Scratch>().Length];

    /// <summary>
    /// At least <paramref name="length"/> aligned floats of slot <paramref name="slot"/> (zero when the slot grows;
    /// afterwards what the last user left). The pointer is valid only while this workspace (and so its
    /// <see cref="ComputeContext"/>) is reachable and the slot is not grown again: the caller keeps the context alive
    /// (a field, a <c>using</c> variable used afterwards, or <c>GC.KeepAlive</c>) until its last use of the pointer.
    /// </summary>
    public float* Floats(Scratch slot, long length)
    {
        ref var b = ref _buffers[(int)slot];
        if (b is null || b.Length < length)
        {
            b = new AlignedBuffer(Math.Max(length, 1));
            b.Clear(b.Length);
        }
        return b.Pointer;
    }

    /// <summary>The first <paramref name="length"/> floats of slot <paramref name="slot"/> as a span.</summary>
    public Span<float> Span(Scratch slot, int length) => new(Floats(slot, length), length);

    /// <summary>At least <paramref name="length"/> doubles of slot <paramref name="slot"/> (for sums kept in float64).</summary>
    public double[] Doubles(Scratch slot, int length)
    {
        ref var d = ref _doubles[(int)slot];
        if (d is null || d.Length < length) d = new double[length];
        return d;
    }

    /// <summary>A managed array of at least <paramref name="length"/> floats for slot <paramref name="slot"/> (for jobs that hold arrays).</summary>
    public float[] Array(Scratch slot, int length)
    {
        ref var a = ref _arrays[(int)slot];
        if (a is null || a.Length < length) a = new float[length];
        return a;
    }
}

/// <summary>
/// The slots of a <see cref="Workspace"/>, one per use. A kernel that keeps something in a slot while it calls
/// another kernel on the same context must use a slot that kernel does not: give each use its own.
/// </summary>
internal enum Scratch
{
    /// <summary>GEMM's packed A and B panels (<see cref="GemmDriver"/>).</summary>
    GemmPack,
    /// <summary>A gathered row of Aᵀ (<see cref="GemmSmallM"/>).</summary>
    GemmRow,
    /// <summary>An image's patch matrix (<see cref="ConvIm2Col"/>, one per thread; shared by the threads for one image).</summary>
    Im2ColPatches,
    /// <summary>The patch-matrix gradient before folding (<see cref="ConvIm2Col"/>, one per thread).</summary>
    Im2ColPatchGradient,
    /// <summary>Per-part (im2col) or per-image-group (<see cref="ImageGroups"/>) weight gradients, summed after the parts (conv backward passes).</summary>
    PartWeightGradients,
    /// <summary>Per-part or per-image-group bias gradients in float64, summed after them in order.</summary>
    PartBiasGradients,
    /// <summary>Pooling windows unfolded by <see cref="PoolIm2Col"/>.</summary>
    PoolPatches,
    /// <summary>The bias padded to whole panels of output channels (<see cref="WinogradForward{T, S, V}"/>).</summary>
    WinogradBias,
    /// <summary>A chunk of images copied channels-last, shared by the threads (<see cref="WinogradForward{T, S, V}"/>, one image split over threads).</summary>
    WinogradSharedFrame,
    /// <summary>A thread's few images copied channels-last (<see cref="WinogradForward{T, S, V}"/>).</summary>
    WinogradFrame,
    /// <summary>A thread's transformed input tiles V (<see cref="WinogradForward{T, S, V}"/>, <see cref="WinogradWeightGradient{T, S, V}"/>).</summary>
    WinogradV,
    /// <summary>A thread's products Mᵀ before the output transform (<see cref="WinogradForward{T, S, V}"/>), or transformed output gradient dM (<see cref="WinogradWeightGradient{T, S, V}"/>).</summary>
    WinogradM,
    /// <summary>A thread's image and output gradient copied channels-last (<see cref="WinogradWeightGradient{T, S, V}"/>).</summary>
    WinogradImage,
    /// <summary>A thread's dU of one image group (<see cref="WinogradWeightGradient{T, S, V}"/>).</summary>
    WinogradPartDu,
    /// <summary>Padded copies of the input (<see cref="ConvVectorized"/>, one per thread; shared for one image split over threads).</summary>
    VectorizedFrame,
    /// <summary>Regrouped weights and padded bias (<see cref="ConvVectorized"/>).</summary>
    VectorizedWeights,
    /// <summary>Per-image-group L-lane weight gradients, added up after the groups (<see cref="ConvVectorized"/>).</summary>
    VectorizedPartDw,
    /// <summary>One plane of the BatchNorm's input gradient, formed for the weight gradient (<see cref="ConvVectorized"/>, one per thread).</summary>
    VectorizedGradientPlane,
    /// <summary>One channel's four phase planes (<see cref="Im2ColStride2"/>, one per thread).</summary>
    PhasePlanes,
    /// <summary>The indices of an input row's non-zero values (<see cref="SparseGemv"/>).</summary>
    GemvIndices,
    /// <summary>An input row's non-zero values (<see cref="SparseGemv"/>).</summary>
    GemvValues,
    /// <summary>Where each row's non-zero entries start, and the last one's end (<see cref="SparseGemm"/>).</summary>
    SparseRowStarts,
    /// <summary>The column of each non-zero entry (<see cref="SparseGemm"/>).</summary>
    SparseIndices,
    /// <summary>The non-zero entries' values (<see cref="SparseGemm"/>).</summary>
    SparseValues,
    /// <summary>Each row's next entry during a pass (<see cref="SparseGemm"/>, one per thread).</summary>
    SparseCursors,
    /// <summary>The second group's partial sums of a <see cref="GemmSplit.Depth"/> product (<see cref="GemmDepth"/>, <see cref="SparseGemm"/>).</summary>
    DepthPartial,
    /// <summary>Each plane's (or feature channel's) two sums in float64, added up per channel after the pass (<see cref="BatchNormKernel"/>).</summary>
    BatchNormSums,
}
