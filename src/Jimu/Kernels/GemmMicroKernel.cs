using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// The register-tiled inner kernel of <see cref="GemmDriver"/>: one MR×NR tile of C from an MR-tall packed strip of A
/// and an NR-wide packed strip of B, C[MR×NR] (=|+=) Σ_p a[p·MR + i] · b[p·NR + j].
/// Written once over the vector width (<see cref="ISimdWidth{V}"/>): a tile is <see cref="ISimdWidth{V}.TileRows"/> rows
/// of two vectors, 8×32 with Vector512, 6×16 with Vector256, 6×8 with Vector128 on x86 and 8×8 on ARM64; the width
/// is chosen once at start-up, with 4×4 scalar loops where there are no vectors.
/// </summary>
internal static unsafe class GemmMicroKernel
{
    public enum Kind { Vector512, Vector256, Vector128, Scalar }

    public static readonly Kind Selected =
        Vector512.IsHardwareAccelerated ? Kind.Vector512 :
        Vector256.IsHardwareAccelerated ? Kind.Vector256 :
        Vector128.IsHardwareAccelerated ? Kind.Vector128 : Kind.Scalar;

    /// <summary>Rows of a tile (the height of a packed A strip).</summary>
    public static readonly int MR = Selected switch
    {
        Kind.Vector512 => Simd512.TileRows, Kind.Vector256 => Simd256.TileRows, Kind.Vector128 => Simd128.TileRows, _ => 4,
    };

    /// <summary>Columns of a tile (the width of a packed B strip): two vectors.</summary>
    public static readonly int NR = Selected switch
    {
        Kind.Vector512 => 2 * Simd512.Lanes, Kind.Vector256 => 2 * Simd256.Lanes, Kind.Vector128 => 2 * Simd128.Lanes, _ => 4,
    };

    /// <summary>Columns computed by <see cref="NarrowTile"/>: one vector.</summary>
    public static readonly int NarrowNR = NR / 2;

    /// <summary>
    /// C[i·ldc + j] = (or += when !overwrite) Σ_{p&lt;kc} a[p·MR + i] · b[p·NR + j] for the full MR×NR tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile(int kc, float* a, float* b, float* c, int ldc, bool overwrite)
    {
        if (Selected == Kind.Vector512) Tile<Simd512, Vector512<float>>(kc, a, 1, Simd512.TileRows, b, c, ldc, overwrite);
        else if (Selected == Kind.Vector256) Tile<Simd256, Vector256<float>>(kc, a, 1, Simd256.TileRows, b, c, ldc, overwrite);
        else if (Selected == Kind.Vector128) Tile<Simd128, Vector128<float>>(kc, a, 1, Simd128.TileRows, b, c, ldc, overwrite);
        else Tile4x4(kc, a, b, c, ldc, overwrite);
    }

    /// <summary>
    /// Like <see cref="Tile"/> but only the first <see cref="NarrowNR"/> columns of the tile (of the NR-wide strip):
    /// for the last strip of B when it is at most half full. Returns false when the width has no such kernel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool NarrowTile(int kc, float* a, float* b, float* c, int ldc, bool overwrite)
    {
        if (Selected == Kind.Vector512) NarrowTile<Simd512, Vector512<float>>(kc, a, b, c, ldc, overwrite);
        else if (Selected == Kind.Vector256) NarrowTile<Simd256, Vector256<float>>(kc, a, b, c, ldc, overwrite);
        else if (Selected == Kind.Vector128) NarrowTile<Simd128, Vector128<float>>(kc, a, b, c, ldc, overwrite);
        else return false;
        return true;
    }

    /// <summary>
    /// A tile of <see cref="ISimdWidth{V}.TileRows"/> rows and two vectors,
    /// C[i·ldc + j] (=|+=) Σ_{p&lt;kc} a[i·rowStride + p·depthStride] · b[p·2L + j] (L lanes). A packed strip has
    /// rowStride 1 and depthStride MR; a row-major A (as the Winograd products read theirs, unpacked) has rowStride
    /// lda and depthStride 1. The broadcasts cost the same either way: a row pointer each and one running offset.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<S, V>(int kc, float* a, long rowStride, long depthStride, float* b, float* c, long ldc, bool overwrite)
        where S : struct, ISimdWidth<V> where V : struct
    {
        // Rows 6 and 7 exist only where S.TileRows (a JIT-time constant) is 8; their code is dropped otherwise.
        bool eight = S.TileRows == 8;
        int lanes = S.Lanes;
        float* a0 = a, a1 = a + rowStride, a2 = a + 2 * rowStride, a3 = a + 3 * rowStride;
        float* a4 = a + 4 * rowStride, a5 = a + 5 * rowStride, a6 = a + 6 * rowStride, a7 = a + 7 * rowStride;
        V c00 = S.Zero, c01 = S.Zero, c10 = S.Zero, c11 = S.Zero, c20 = S.Zero, c21 = S.Zero, c30 = S.Zero, c31 = S.Zero;
        V c40 = S.Zero, c41 = S.Zero, c50 = S.Zero, c51 = S.Zero, c60 = S.Zero, c61 = S.Zero, c70 = S.Zero, c71 = S.Zero;
        long q = 0;
        for (int p = 0; p < kc; p++, q += depthStride)
        {
            var b0 = S.Load(b);
            var b1 = S.Load(b + lanes);
            V ai;
            ai = S.LoadBroadcast(a0 + q); c00 = S.Fma(ai, b0, c00); c01 = S.Fma(ai, b1, c01);
            ai = S.LoadBroadcast(a1 + q); c10 = S.Fma(ai, b0, c10); c11 = S.Fma(ai, b1, c11);
            ai = S.LoadBroadcast(a2 + q); c20 = S.Fma(ai, b0, c20); c21 = S.Fma(ai, b1, c21);
            ai = S.LoadBroadcast(a3 + q); c30 = S.Fma(ai, b0, c30); c31 = S.Fma(ai, b1, c31);
            ai = S.LoadBroadcast(a4 + q); c40 = S.Fma(ai, b0, c40); c41 = S.Fma(ai, b1, c41);
            ai = S.LoadBroadcast(a5 + q); c50 = S.Fma(ai, b0, c50); c51 = S.Fma(ai, b1, c51);
            if (eight)
            {
                ai = S.LoadBroadcast(a6 + q); c60 = S.Fma(ai, b0, c60); c61 = S.Fma(ai, b1, c61);
                ai = S.LoadBroadcast(a7 + q); c70 = S.Fma(ai, b0, c70); c71 = S.Fma(ai, b1, c71);
            }
            b += 2 * lanes;
        }
        Store2<S, V>(c, c00, c01, overwrite); c += ldc;
        Store2<S, V>(c, c10, c11, overwrite); c += ldc;
        Store2<S, V>(c, c20, c21, overwrite); c += ldc;
        Store2<S, V>(c, c30, c31, overwrite); c += ldc;
        Store2<S, V>(c, c40, c41, overwrite); c += ldc;
        Store2<S, V>(c, c50, c51, overwrite);
        if (!eight) return;
        c += ldc;
        Store2<S, V>(c, c60, c61, overwrite); c += ldc;
        Store2<S, V>(c, c70, c71, overwrite);
    }

    /// <summary>
    /// One row of <see cref="Tile{S, V}"/> with a row-major A: c[j] (=|+=) Σ_{p&lt;kc} a[p] · b[p·2L + j], for the last
    /// rows of an operand whose row count is not a multiple of the tile's (a full tile would compute the missing rows
    /// for nothing). It sums in the same order as the full tile, so a row's result does not depend on which kernel
    /// computed it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TileRow<S, V>(int kc, float* a, float* b, float* c, bool overwrite)
        where S : struct, ISimdWidth<V> where V : struct
    {
        int lanes = S.Lanes;
        V c0 = S.Zero, c1 = S.Zero;
        for (int p = 0; p < kc; p++, b += 2 * lanes)
        {
            var ap = S.LoadBroadcast(a + p);
            c0 = S.Fma(ap, S.Load(b), c0);
            c1 = S.Fma(ap, S.Load(b + lanes), c1);
        }
        Store2<S, V>(c, c0, c1, overwrite);
    }

    /// <summary>The first vector of columns of <see cref="Tile{S, V}"/> for a packed A (depthStride MR).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowTile<S, V>(int kc, float* a, float* b, float* c, int ldc, bool overwrite)
        where S : struct, ISimdWidth<V> where V : struct
    {
        bool eight = S.TileRows == 8;
        int mr = S.TileRows, nr = 2 * S.Lanes;
        V c0 = S.Zero, c1 = S.Zero, c2 = S.Zero, c3 = S.Zero, c4 = S.Zero, c5 = S.Zero, c6 = S.Zero, c7 = S.Zero;
        for (int p = 0; p < kc; p++)
        {
            var b0 = S.Load(b);
            c0 = S.Fma(S.LoadBroadcast(a + 0), b0, c0);
            c1 = S.Fma(S.LoadBroadcast(a + 1), b0, c1);
            c2 = S.Fma(S.LoadBroadcast(a + 2), b0, c2);
            c3 = S.Fma(S.LoadBroadcast(a + 3), b0, c3);
            c4 = S.Fma(S.LoadBroadcast(a + 4), b0, c4);
            c5 = S.Fma(S.LoadBroadcast(a + 5), b0, c5);
            if (eight)
            {
                c6 = S.Fma(S.LoadBroadcast(a + 6), b0, c6);
                c7 = S.Fma(S.LoadBroadcast(a + 7), b0, c7);
            }
            a += mr;
            b += nr;
        }
        Store1<S, V>(c, c0, overwrite); c += ldc;
        Store1<S, V>(c, c1, overwrite); c += ldc;
        Store1<S, V>(c, c2, overwrite); c += ldc;
        Store1<S, V>(c, c3, overwrite); c += ldc;
        Store1<S, V>(c, c4, overwrite); c += ldc;
        Store1<S, V>(c, c5, overwrite);
        if (!eight) return;
        c += ldc;
        Store1<S, V>(c, c6, overwrite); c += ldc;
        Store1<S, V>(c, c7, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store1<S, V>(float* c, V v, bool overwrite) where S : struct, ISimdWidth<V> where V : struct
    {
        if (!overwrite) v = S.Add(v, S.Load(c));
        S.Store(c, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2<S, V>(float* c, V v0, V v1, bool overwrite) where S : struct, ISimdWidth<V> where V : struct
    {
        if (!overwrite)
        {
            v0 = S.Add(v0, S.Load(c));
            v1 = S.Add(v1, S.Load(c + S.Lanes));
        }
        S.Store(c, v0);
        S.Store(c + S.Lanes, v1);
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
