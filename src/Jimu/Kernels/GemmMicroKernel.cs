using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// The register-tiled inner kernel of <see cref="GemmDriver"/>: one MR×NR tile of C from an MR-tall packed strip of A
/// and an NR-wide packed strip of B, C[MR×NR] (=|+=) Σ_p a[p·MR + i] · b[p·NR + j].
/// The width is chosen once at start-up: 8×32 with Vector512 (16 zmm accumulators), 6×16 with Vector256
/// (12 ymm accumulators), or 4×4 scalar.
/// </summary>
internal static unsafe class GemmMicroKernel
{
    public enum Kind { Vector512, Vector256, Scalar }

    public static readonly Kind Selected =
        Vector512.IsHardwareAccelerated ? Kind.Vector512 :
        Vector256.IsHardwareAccelerated ? Kind.Vector256 : Kind.Scalar;

    /// <summary>Rows of a tile (the height of a packed A strip).</summary>
    public static readonly int MR = Selected switch { Kind.Vector512 => 8, Kind.Vector256 => 6, _ => 4 };

    /// <summary>Columns of a tile (the width of a packed B strip).</summary>
    public static readonly int NR = Selected switch { Kind.Vector512 => 32, Kind.Vector256 => 16, _ => 4 };

    /// <summary>
    /// C[i·ldc + j] = (or += when !overwrite) Σ_{p&lt;kc} a[p·MR + i] · b[p·NR + j] for the full MR×NR tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile(int kc, float* a, float* b, float* c, int ldc, bool overwrite)
    {
        if (Selected == Kind.Vector512) Tile8x32(kc, a, 1, 8, b, c, ldc, overwrite);
        else if (Selected == Kind.Vector256) Tile6x16(kc, a, b, c, ldc, overwrite);
        else Tile4x4(kc, a, b, c, ldc, overwrite);
    }

    /// <summary>
    /// Like <see cref="Tile"/> but only the first <see cref="NarrowNR"/> columns of the tile (of the NR-wide strip):
    /// for the last strip of B when it is at most half full. Returns false when the width has no such kernel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool NarrowTile(int kc, float* a, float* b, float* c, int ldc, bool overwrite)
    {
        if (Selected != Kind.Vector512) return false;
        Tile8x16(kc, a, b, c, ldc, overwrite);
        return true;
    }

    /// <summary>Columns computed by <see cref="NarrowTile"/>.</summary>
    public const int NarrowNR = 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile8x16(int kc, float* a, float* b, float* c, int ldc, bool overwrite)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector512<float> c4 = default, c5 = default, c6 = default, c7 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.LoadAligned(b);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[0]), b0, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(a[1]), b0, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(a[2]), b0, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(a[3]), b0, c3);
            c4 = Vector512.FusedMultiplyAdd(Vector512.Create(a[4]), b0, c4);
            c5 = Vector512.FusedMultiplyAdd(Vector512.Create(a[5]), b0, c5);
            c6 = Vector512.FusedMultiplyAdd(Vector512.Create(a[6]), b0, c6);
            c7 = Vector512.FusedMultiplyAdd(Vector512.Create(a[7]), b0, c7);
            a += 8;
            b += 32;
        }
        Store1(c, c0, overwrite); c += ldc;
        Store1(c, c1, overwrite); c += ldc;
        Store1(c, c2, overwrite); c += ldc;
        Store1(c, c3, overwrite); c += ldc;
        Store1(c, c4, overwrite); c += ldc;
        Store1(c, c5, overwrite); c += ldc;
        Store1(c, c6, overwrite); c += ldc;
        Store1(c, c7, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store1(float* c, Vector512<float> v, bool overwrite)
    {
        if (!overwrite) v += Vector512.Load(c);
        v.Store(c);
    }

    /// <summary>
    /// One row of <see cref="Tile8x32"/> with a row-major A: c[j] (=|+=) Σ_{p&lt;kc} a[p] · b[p·32 + j], for the last rows of an
    /// operand whose row count is not a multiple of 8 (an 8-row tile would compute the missing rows for nothing).
    /// It sums in the same order as the 8-row tile, so a row's result does not depend on which kernel computed it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile1x32RowMajorA(int kc, float* a, float* b, float* c, bool overwrite)
    {
        Vector512<float> c0 = default, c1 = default;
        for (int p = 0; p < kc; p++, b += 32)
        {
            var ap = Vector512.Create(a[p]);
            c0 = Vector512.FusedMultiplyAdd(ap, Vector512.LoadAligned(b), c0);
            c1 = Vector512.FusedMultiplyAdd(ap, Vector512.LoadAligned(b + 16), c1);
        }
        Store2(c, c0, c1, overwrite);
    }

    /// <summary>
    /// The 8×32 tile, C[i·ldc + j] (=|+=) Σ_{p&lt;kc} a[i·rowStride + p·depthStride] · b[p·32 + j]. A packed strip has
    /// rowStride 1 and depthStride MR = 8; a row-major A (as the Winograd products read theirs, unpacked) has rowStride
    /// lda and depthStride 1. The broadcasts cost the same either way: eight row pointers and one running offset.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile8x32(int kc, float* a, long rowStride, long depthStride, float* b, float* c, long ldc, bool overwrite)
    {
        float* a0 = a, a1 = a + rowStride, a2 = a + 2 * rowStride, a3 = a + 3 * rowStride;
        float* a4 = a + 4 * rowStride, a5 = a + 5 * rowStride, a6 = a + 6 * rowStride, a7 = a + 7 * rowStride;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        long q = 0;
        for (int p = 0; p < kc; p++, q += depthStride)
        {
            var b0 = Vector512.LoadAligned(b);
            var b1 = Vector512.LoadAligned(b + 16);
            Vector512<float> ai;
            ai = Vector512.Create(a0[q]); c00 = Vector512.FusedMultiplyAdd(ai, b0, c00); c01 = Vector512.FusedMultiplyAdd(ai, b1, c01);
            ai = Vector512.Create(a1[q]); c10 = Vector512.FusedMultiplyAdd(ai, b0, c10); c11 = Vector512.FusedMultiplyAdd(ai, b1, c11);
            ai = Vector512.Create(a2[q]); c20 = Vector512.FusedMultiplyAdd(ai, b0, c20); c21 = Vector512.FusedMultiplyAdd(ai, b1, c21);
            ai = Vector512.Create(a3[q]); c30 = Vector512.FusedMultiplyAdd(ai, b0, c30); c31 = Vector512.FusedMultiplyAdd(ai, b1, c31);
            ai = Vector512.Create(a4[q]); c40 = Vector512.FusedMultiplyAdd(ai, b0, c40); c41 = Vector512.FusedMultiplyAdd(ai, b1, c41);
            ai = Vector512.Create(a5[q]); c50 = Vector512.FusedMultiplyAdd(ai, b0, c50); c51 = Vector512.FusedMultiplyAdd(ai, b1, c51);
            ai = Vector512.Create(a6[q]); c60 = Vector512.FusedMultiplyAdd(ai, b0, c60); c61 = Vector512.FusedMultiplyAdd(ai, b1, c61);
            ai = Vector512.Create(a7[q]); c70 = Vector512.FusedMultiplyAdd(ai, b0, c70); c71 = Vector512.FusedMultiplyAdd(ai, b1, c71);
            b += 32;
        }
        Store2(c, c00, c01, overwrite); c += ldc;
        Store2(c, c10, c11, overwrite); c += ldc;
        Store2(c, c20, c21, overwrite); c += ldc;
        Store2(c, c30, c31, overwrite); c += ldc;
        Store2(c, c40, c41, overwrite); c += ldc;
        Store2(c, c50, c51, overwrite); c += ldc;
        Store2(c, c60, c61, overwrite); c += ldc;
        Store2(c, c70, c71, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(float* c, Vector512<float> v0, Vector512<float> v1, bool overwrite)
    {
        if (!overwrite)
        {
            v0 += Vector512.Load(c);
            v1 += Vector512.Load(c + 16);
        }
        v0.Store(c);
        v1.Store(c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile6x16(int kc, float* a, float* b, float* c, int ldc, bool overwrite)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            Vector256<float> ai;
            ai = Vector256.Create(a[0]); c00 = Vector256.FusedMultiplyAdd(ai, b0, c00); c01 = Vector256.FusedMultiplyAdd(ai, b1, c01);
            ai = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(ai, b0, c10); c11 = Vector256.FusedMultiplyAdd(ai, b1, c11);
            ai = Vector256.Create(a[2]); c20 = Vector256.FusedMultiplyAdd(ai, b0, c20); c21 = Vector256.FusedMultiplyAdd(ai, b1, c21);
            ai = Vector256.Create(a[3]); c30 = Vector256.FusedMultiplyAdd(ai, b0, c30); c31 = Vector256.FusedMultiplyAdd(ai, b1, c31);
            ai = Vector256.Create(a[4]); c40 = Vector256.FusedMultiplyAdd(ai, b0, c40); c41 = Vector256.FusedMultiplyAdd(ai, b1, c41);
            ai = Vector256.Create(a[5]); c50 = Vector256.FusedMultiplyAdd(ai, b0, c50); c51 = Vector256.FusedMultiplyAdd(ai, b1, c51);
            a += 6;
            b += 16;
        }
        Store2(c, c00, c01, overwrite); c += ldc;
        Store2(c, c10, c11, overwrite); c += ldc;
        Store2(c, c20, c21, overwrite); c += ldc;
        Store2(c, c30, c31, overwrite); c += ldc;
        Store2(c, c40, c41, overwrite); c += ldc;
        Store2(c, c50, c51, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(float* c, Vector256<float> v0, Vector256<float> v1, bool overwrite)
    {
        if (!overwrite)
        {
            v0 += Vector256.Load(c);
            v1 += Vector256.Load(c + 8);
        }
        v0.Store(c);
        v1.Store(c + 8);
    }

    private static void Tile4x4(int kc, float* a, float* b, float* c, int ldc, bool overwrite)
    {
        float* acc = stackalloc float[16];
        for (int t = 0; t < 16; t++) acc[t] = 0;
        for (int p = 0; p < kc; p++, a += 4, b += 4)
            for (int i = 0; i < 4; i++)
            {
                float ai = a[i];
                for (int j = 0; j < 4; j++) acc[i * 4 + j] += ai * b[j];
            }
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                c[i * ldc + j] = overwrite ? acc[i * 4 + j] : c[i * ldc + j] + acc[i * 4 + j];
    }
}
