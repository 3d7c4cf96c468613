using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using System.Runtime.Intrinsics;

namespace Jimu.Kernels;

/// <summary>
/// Copies blocks of op(A) and op(B) into the layouts the micro-kernel streams, resolving the transposes on the way:
/// A block (mc×kc) → MR-tall strips, each kc steps of MR values: dst[s·MR·kc + p·MR + i] = op(A)[i0 + s·MR + i, p0 + p];
/// B block (kc×nc) → NR-wide strips, each kc steps of NR values: dst[s·NR·kc + p·NR + j] = op(B)[p0 + p, j0 + s·NR + j].
/// Rows or columns past the edge of the matrix are filled with zeros, so every tile is full.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>Packs op(A)[i0..i0+mc, p0..p0+kc] into MR-tall strips.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(float* a, int lda, bool transA, int i0, int mc, int p0, int kc, int mr, float* dst)
    {
        for (int s = 0; s < mc; s += mr, dst += mr * kc)
        {
            int rows = Math.Min(mr, mc - s);
            if (transA)
                // A is stored k×m: the MR values of one step are contiguous.
                CopyRows(a + (long)p0 * lda + i0 + s, lda, kc, rows, dst, mr);
            else
                // A is stored m×k: each of the MR rows runs along p.
                Transpose(a + (long)(i0 + s) * lda + p0, lda, rows, kc, dst, mr);
        }
    }

    /// <summary>Packs op(B)[p0..p0+kc, j0..j0+nc] into NR-wide strips.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(float* b, int ldb, bool transB, int p0, int kc, int j0, int nc, int nr, float* dst)
    {
        if (!transB)
        {
            // B is stored k×n: read each stored row once, front to back (what the prefetchers follow best),
            // scattering its NR-wide pieces to the strips.
            int fullStrips = (nr & 3) == 0 ? nc / nr : 0;
            long stripSize = (long)nr * kc;
            float* src = b + (long)p0 * ldb + j0;
            for (int p = 0; p < kc; p++, src += ldb)
            {
                float* d = dst + p * nr;
                for (int s = 0; s < fullStrips; s++, d += stripSize) Copy(src + s * nr, d, nr);
            }
            int done = fullStrips * nr;
            if (done < nc)
                for (int s = done; s < nc; s += nr)
                    CopyRows(b + (long)p0 * ldb + j0 + s, ldb, kc, Math.Min(nr, nc - s), dst + (s / nr) * stripSize, nr);
            return;
        }
        for (int s = 0; s < nc; s += nr, dst += nr * kc)
        {
            // B is stored n×k: each of the NR columns of op(B) is a stored row running along p.
            Transpose(b + (long)(j0 + s) * ldb + p0, ldb, Math.Min(nr, nc - s), kc, dst, nr);
        }
    }

    /// <summary>dst[p·width + j] = src[p·lds + j] for j &lt; count, 0 for count ≤ j &lt; width; p &lt; steps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyRows(float* src, int lds, int steps, int count, float* dst, int width)
    {
        if (count == width && (width & 3) == 0)
        {
            for (int p = 0; p < steps; p++, src += lds, dst += width) Copy(src, dst, width);
            return;
        }
        for (int p = 0; p < steps; p++, src += lds, dst += width)
        {
            int j = 0;
            for (; j < count; j++) dst[j] = src[j];
            for (; j < width; j++) dst[j] = 0;
        }
    }

    /// <summary>dst[j] = src[j] for j &lt; count, a multiple of 4 (of 8 where 256-bit vectors run).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* src, float* dst, int count)
    {
        if (Vector256.IsHardwareAccelerated && (count & 7) == 0)
            for (int j = 0; j < count; j += 8) Vector256.Store(Vector256.Load(src + j), dst + j);
        else
            for (int j = 0; j < count; j += 4) Vector128.Store(Vector128.Load(src + j), dst + j);
    }

    /// <summary>
    /// dst[p·width + r] = src[r·lds + p] for r &lt; count, 0 for count ≤ r &lt; width; p &lt; steps.
    /// Full square blocks go through an in-register transpose: 8×8 with AVX, 4×4 with NEON.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(float* src, int lds, int count, int steps, float* dst, int width)
    {
        int r = 0;
        int block = Avx.IsSupported ? 8 : AdvSimd.Arm64.IsSupported ? 4 : 0;
        if (block > 0)
        {
            int fullSteps = steps - steps % block;
            for (; r + block <= count; r += block)
            {
                float* s = src + (long)r * lds;
                int p = 0;
                for (; p < fullSteps; p += block)
                {
                    if (block == 8) Transpose8x8(s + p, lds, dst + p * width + r, width);
                    else Transpose4x4(s + p, lds, dst + p * width + r, width);
                }
                for (; p < steps; p++)
                    for (int q = 0; q < block; q++) dst[p * width + r + q] = s[(long)q * lds + p];
            }
        }
        for (; r < count; r++)
        {
            float* s = src + (long)r * lds;
            for (int p = 0; p < steps; p++) dst[p * width + r] = s[p];
        }
        for (; r < width; r++)
            for (int p = 0; p < steps; p++) dst[p * width + r] = 0;
    }

    /// <summary>
    /// dst[q·ldd + r] = src[r·lds + q] for a 4×4 block (ARM64): trn1/trn2 of 32-bit pairs, then of 64-bit pairs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(float* src, int lds, float* dst, int ldd)
    {
        var r0 = Vector128.Load(src);
        var r1 = Vector128.Load(src + lds);
        var r2 = Vector128.Load(src + 2 * (long)lds);
        var r3 = Vector128.Load(src + 3 * (long)lds);
        // t0 = r0[0] r1[0] r0[2] r1[2], t1 = r0[1] r1[1] r0[3] r1[3]; t2, t3 the same of rows 2 and 3.
        var t0 = AdvSimd.Arm64.TransposeEven(r0, r1).AsUInt64();
        var t1 = AdvSimd.Arm64.TransposeOdd(r0, r1).AsUInt64();
        var t2 = AdvSimd.Arm64.TransposeEven(r2, r3).AsUInt64();
        var t3 = AdvSimd.Arm64.TransposeOdd(r2, r3).AsUInt64();
        AdvSimd.Arm64.TransposeEven(t0, t2).AsSingle().Store(dst);
        AdvSimd.Arm64.TransposeEven(t1, t3).AsSingle().Store(dst + ldd);
        AdvSimd.Arm64.TransposeOdd(t0, t2).AsSingle().Store(dst + 2 * ldd);
        AdvSimd.Arm64.TransposeOdd(t1, t3).AsSingle().Store(dst + 3 * ldd);
    }

    /// <summary>dst[q·ldd + r] = src[r·lds + q] for an 8×8 block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, int lds, float* dst, int ldd)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + lds);
        var r2 = Avx.LoadVector256(src + 2 * (long)lds);
        var r3 = Avx.LoadVector256(src + 3 * (long)lds);
        var r4 = Avx.LoadVector256(src + 4 * (long)lds);
        var r5 = Avx.LoadVector256(src + 5 * (long)lds);
        var r6 = Avx.LoadVector256(src + 6 * (long)lds);
        var r7 = Avx.LoadVector256(src + 7 * (long)lds);
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44);
        var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44);
        var s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(s3, s7, 0x31));
    }
}
