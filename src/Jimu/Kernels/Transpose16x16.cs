using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// The 16×16 transpose of sixteen 16-float vectors in registers, dst[j][i] = src[i][j]: what turns 16 channels of
/// 16 pixels (channels-last) into 16 pixels of 16 channels (NCHW rows) and back. AVX-512 only (<see cref="IsSupported"/>).
/// <code>
/// stage 1  unpacklo/hi of row pairs        pairs of rows interleaved within each 128-bit lane
/// stage 2  shuffle 0x44 / 0xEE             lane k of u[4q + c] = column 4k + c of rows 4q..4q+3
/// stage 3  shuffle 128-bit lanes 0x88/0xDD columns c and c + 8 of rows 0–7 (and of rows 8–15)
/// stage 4  shuffle 128-bit lanes 0x88/0xDD whole columns
/// </code>
/// </summary>
internal static unsafe class Transpose16x16
{
    public static bool IsSupported => Avx512F.IsSupported;

    /// <summary>A mask of the first <paramref name="count"/> lanes (0 ≤ count ≤ 16), for masked loads and stores.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FirstLanes(int count) =>
        Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(count)).AsSingle();

    /// <summary>dst[j] lane i = src[i] lane j. <paramref name="dst"/> may be <paramref name="src"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose(Vector512<float>* src, Vector512<float>* dst)
    {
        var t0 = Avx512F.UnpackLow(src[0], src[1]); var t1 = Avx512F.UnpackHigh(src[0], src[1]);
        var t2 = Avx512F.UnpackLow(src[2], src[3]); var t3 = Avx512F.UnpackHigh(src[2], src[3]);
        var t4 = Avx512F.UnpackLow(src[4], src[5]); var t5 = Avx512F.UnpackHigh(src[4], src[5]);
        var t6 = Avx512F.UnpackLow(src[6], src[7]); var t7 = Avx512F.UnpackHigh(src[6], src[7]);
        var t8 = Avx512F.UnpackLow(src[8], src[9]); var t9 = Avx512F.UnpackHigh(src[8], src[9]);
        var t10 = Avx512F.UnpackLow(src[10], src[11]); var t11 = Avx512F.UnpackHigh(src[10], src[11]);
        var t12 = Avx512F.UnpackLow(src[12], src[13]); var t13 = Avx512F.UnpackHigh(src[12], src[13]);
        var t14 = Avx512F.UnpackLow(src[14], src[15]); var t15 = Avx512F.UnpackHigh(src[14], src[15]);

        var u0 = Avx512F.Shuffle(t0, t2, 0x44); var u1 = Avx512F.Shuffle(t0, t2, 0xEE);
        var u2 = Avx512F.Shuffle(t1, t3, 0x44); var u3 = Avx512F.Shuffle(t1, t3, 0xEE);
        var u4 = Avx512F.Shuffle(t4, t6, 0x44); var u5 = Avx512F.Shuffle(t4, t6, 0xEE);
        var u6 = Avx512F.Shuffle(t5, t7, 0x44); var u7 = Avx512F.Shuffle(t5, t7, 0xEE);
        var u8 = Avx512F.Shuffle(t8, t10, 0x44); var u9 = Avx512F.Shuffle(t8, t10, 0xEE);
        var u10 = Avx512F.Shuffle(t9, t11, 0x44); var u11 = Avx512F.Shuffle(t9, t11, 0xEE);
        var u12 = Avx512F.Shuffle(t12, t14, 0x44); var u13 = Avx512F.Shuffle(t12, t14, 0xEE);
        var u14 = Avx512F.Shuffle(t13, t15, 0x44); var u15 = Avx512F.Shuffle(t13, t15, 0xEE);

        var v0 = Avx512F.Shuffle4x128(u0, u4, 0x88); var v4 = Avx512F.Shuffle4x128(u0, u4, 0xDD);
        var v1 = Avx512F.Shuffle4x128(u1, u5, 0x88); var v5 = Avx512F.Shuffle4x128(u1, u5, 0xDD);
        var v2 = Avx512F.Shuffle4x128(u2, u6, 0x88); var v6 = Avx512F.Shuffle4x128(u2, u6, 0xDD);
        var v3 = Avx512F.Shuffle4x128(u3, u7, 0x88); var v7 = Avx512F.Shuffle4x128(u3, u7, 0xDD);
        var v8 = Avx512F.Shuffle4x128(u8, u12, 0x88); var v12 = Avx512F.Shuffle4x128(u8, u12, 0xDD);
        var v9 = Avx512F.Shuffle4x128(u9, u13, 0x88); var v13 = Avx512F.Shuffle4x128(u9, u13, 0xDD);
        var v10 = Avx512F.Shuffle4x128(u10, u14, 0x88); var v14 = Avx512F.Shuffle4x128(u10, u14, 0xDD);
        var v11 = Avx512F.Shuffle4x128(u11, u15, 0x88); var v15 = Avx512F.Shuffle4x128(u11, u15, 0xDD);

        dst[0] = Avx512F.Shuffle4x128(v0, v8, 0x88); dst[8] = Avx512F.Shuffle4x128(v0, v8, 0xDD);
        dst[1] = Avx512F.Shuffle4x128(v1, v9, 0x88); dst[9] = Avx512F.Shuffle4x128(v1, v9, 0xDD);
        dst[2] = Avx512F.Shuffle4x128(v2, v10, 0x88); dst[10] = Avx512F.Shuffle4x128(v2, v10, 0xDD);
        dst[3] = Avx512F.Shuffle4x128(v3, v11, 0x88); dst[11] = Avx512F.Shuffle4x128(v3, v11, 0xDD);
        dst[4] = Avx512F.Shuffle4x128(v4, v12, 0x88); dst[12] = Avx512F.Shuffle4x128(v4, v12, 0xDD);
        dst[5] = Avx512F.Shuffle4x128(v5, v13, 0x88); dst[13] = Avx512F.Shuffle4x128(v5, v13, 0xDD);
        dst[6] = Avx512F.Shuffle4x128(v6, v14, 0x88); dst[14] = Avx512F.Shuffle4x128(v6, v14, 0xDD);
        dst[7] = Avx512F.Shuffle4x128(v7, v15, 0x88); dst[15] = Avx512F.Shuffle4x128(v7, v15, 0xDD);
    }
}
