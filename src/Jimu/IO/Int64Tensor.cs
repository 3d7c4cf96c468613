namespace Jimu.IO;

/// <summary>
/// An int64 tensor as safetensors stores it ("I64"): PyTorch keeps counters such as BatchNorm's
/// <c>num_batches_tracked</c> (shape [], a scalar) in this type.
/// </summary>
public sealed record Int64Tensor(int[] Shape, long[] Data);
