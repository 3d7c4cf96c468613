using System.Runtime.Intrinsics;
using Jimu.Kernels;

namespace Jimu.Tests.Kernels;

/// <summary>A test body written once over the vector width, run by <see cref="SimdWidths.Run{T}"/> at one width.</summary>
internal interface IWidthTest
{
    void Run<S, V>() where S : struct, ISimdWidth<V> where V : unmanaged;
}

/// <summary>
/// Runs a kernel test at a chosen vector width (512, 256 or 128 bits), not only at the one the machine selects, so that
/// an AVX-512 machine checks the AVX2 and NEON-width instances of a generic kernel too; a width the machine (or the
/// CI leg) lacks is skipped with the reason.
/// </summary>
internal static class SimdWidths
{
    public static TheoryData<int> All => new() { 512, 256, 128 };

    public static void Run<T>(int bits, T test) where T : IWidthTest
    {
        switch (bits)
        {
            case 512: Require<Simd512, Vector512<float>>(bits); test.Run<Simd512, Vector512<float>>(); break;
            case 256: Require<Simd256, Vector256<float>>(bits); test.Run<Simd256, Vector256<float>>(); break;
            case 128: Require<Simd128, Vector128<float>>(bits); test.Run<Simd128, Vector128<float>>(); break;
            default: throw new ArgumentOutOfRangeException(nameof(bits), bits, "a vector width is 512, 256 or 128 bits");
        }
    }

    private static void Require<S, V>(int bits) where S : struct, ISimdWidth<V> where V : unmanaged =>
        Assert.SkipUnless(S.IsSupported, $"this machine (or CI leg) runs no {bits}-bit vectors in hardware");
}
