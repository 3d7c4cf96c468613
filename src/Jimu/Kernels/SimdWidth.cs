using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Jimu.Kernels;

/// <summary>
/// One vector width's operations, so that a kernel is written once over the width (as TensorPrimitives does) and
/// compiled for each: <c>Kernel&lt;S, V&gt;</c> with <c>where S : struct, ISimdWidth&lt;V&gt;</c> is specialised by the JIT
/// for <see cref="Simd512"/>, <see cref="Simd256"/> and <see cref="Simd128"/>, every call inlined to the instruction,
/// the vectors (V = Vector512/256/128&lt;float&gt;) kept in registers.
/// </summary>
internal unsafe interface ISimdWidth<V> where V : struct
{
    /// <summary>Floats per vector.</summary>
    static abstract int Lanes { get; }

    /// <summary>
    /// Rows of a GEMM register tile whose width is two vectors, given the registers this width has: 8×32 with
    /// Vector512 (16 of 32 zmm accumulate), 6×16 with Vector256 (12 of 16 ymm), 6×8 with Vector128 on x86 (12 of
    /// 16 xmm) and 8×8 on ARM64 (16 of NEON's 32).
    /// </summary>
    static abstract int TileRows { get; }

    /// <summary>Vector registers of the instruction set: 32 (AVX-512, NEON) or 16 (AVX2, SSE/AVX).</summary>
    static abstract int Registers { get; }

    /// <summary>
    /// Whether this machine runs the width in hardware (with the instructions its masked loads and transpose use).
    /// A kernel may run at a narrower width than <see cref="GemmMicroKernel.Selected"/> (the tests run every width
    /// that is supported), never at a wider one.
    /// </summary>
    static abstract bool IsSupported { get; }

    static abstract V Zero { get; }
    /// <summary>0, 1, …, Lanes − 1.</summary>
    static abstract V Indices { get; }
    static abstract V Load(float* p);
    static abstract void Store(float* p, V v);
    /// <summary>p[0..count) into the first lanes, zeros after (0 ≤ count ≤ Lanes); nothing past p + count is read.</summary>
    static abstract V LoadFirst(float* p, int count);
    /// <summary>The first <paramref name="count"/> lanes of v to p[0..count); nothing past p + count is written.</summary>
    static abstract void StoreFirst(float* p, V v, int count);
    /// <summary>p[i] = (int)v[i], v holding whole numbers.</summary>
    static abstract void StoreInt32(int* p, V v);
    /// <summary>
    /// The Lanes × Lanes transpose of the Lanes vectors at <paramref name="rows"/>, in place: lane i of vector j ← lane j
    /// of vector i.
    /// </summary>
    static abstract void Transpose(float* rows);
    static abstract V Broadcast(float x);
    /// <summary>*p in every lane, loaded as such (vbroadcastss, ld1r): no shuffle on the arithmetic pipes.</summary>
    static abstract V LoadBroadcast(float* p);
    /// <summary>a·b + c, rounded once (on x86 without FMA, which .NET 10 turns off with AVX2, rounded twice).</summary>
    static abstract V Fma(V a, V b, V c);
    /// <summary>One lane of <see cref="Fma(V, V, V)"/>, rounded as it is: a scalar tail gives the vector body's bits.</summary>
    static abstract float Fma(float a, float b, float c);
    static abstract V Add(V a, V b);
    static abstract V Sub(V a, V b);
    static abstract V Mul(V a, V b);
    /// <summary>a / b and √v, correctly rounded as the scalar operations are.</summary>
    static abstract V Div(V a, V b);
    static abstract V Sqrt(V v);
    static abstract float Sum(V v);
    /// <summary>The first L/2 lanes of v, widened to doubles, to p[0..L/2).</summary>
    static abstract void StoreLowerAsDoubles(double* p, V v);
    static abstract V Max(V a, V b);
    /// <summary>All bits set in the lanes where a &gt; b (false where either is NaN).</summary>
    static abstract V GreaterThan(V a, V b);
    /// <summary>All bits set in the NaN lanes.</summary>
    static abstract V IsNaN(V v);
    /// <summary>All bits set in the lanes where a = b (false where either is NaN).</summary>
    static abstract V Equal(V a, V b);
    /// <summary>Bitwise: a where mask is set, else b.</summary>
    static abstract V Select(V mask, V a, V b);
    static abstract V And(V a, V b);
    static abstract V AndNot(V a, V b);
    static abstract V Or(V a, V b);
    /// <summary>The even lanes of the pair (a, b) in order: a0 a2 … b0 b2 …</summary>
    static abstract V Even(V a, V b);
    /// <summary>The odd lanes of the pair (a, b) in order: a1 a3 … b1 b3 …</summary>
    static abstract V Odd(V a, V b);
    /// <summary>The first halves of a and b interleaved: a0 b0 a1 b1 … (the inverse of <see cref="Even"/> and <see cref="Odd"/> with <see cref="ZipHigh"/>).</summary>
    static abstract V ZipLow(V a, V b);
    /// <summary>The second halves of a and b interleaved: a(L/2) b(L/2) … a(L−1) b(L−1).</summary>
    static abstract V ZipHigh(V a, V b);
}

/// <summary>The 512-bit width (AVX-512).</summary>
internal readonly unsafe struct Simd512 : ISimdWidth<Vector512<float>>
{
    public static int Lanes => 16;
    public static int TileRows => 8;
    public static int Registers => 32;
    public static bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    public static Vector512<float> Indices => Vector512<float>.Indices;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreInt32(int* p, Vector512<float> v) => Vector512.ConvertToInt32(v).Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> GreaterThan(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> IsNaN(Vector512<float> v) => ~Vector512.Equals(v, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Equal(Vector512<float> a, Vector512<float> b) => Vector512.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Select(Vector512<float> mask, Vector512<float> a, Vector512<float> b) => Vector512.ConditionalSelect(mask, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> And(Vector512<float> a, Vector512<float> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> AndNot(Vector512<float> a, Vector512<float> b) => Vector512.AndNot(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Or(Vector512<float> a, Vector512<float> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadFirst(float* p, int count) => Avx512F.MaskLoad(p, FirstLanes(count), Vector512<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreFirst(float* p, Vector512<float> v, int count) => Avx512F.MaskStore(p, FirstLanes(count), v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> FirstLanes(int count) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
    // vpermt2ps: any lanes of the pair.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Even(Vector512<float> a, Vector512<float> b) => Avx512F.PermuteVar16x32x2(a, Vector512<int>.Indices * 2, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Odd(Vector512<float> a, Vector512<float> b) => Avx512F.PermuteVar16x32x2(a, Vector512<int>.Indices * 2 + Vector512<int>.One, b);
    // Lane 2i ← a[i], 2i + 1 ← b[i] (index 16 + i): i and i + 16 alternating, from 0 or from 8.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ZipLow(Vector512<float> a, Vector512<float> b) =>
        Avx512F.PermuteVar16x32x2(a, Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ZipHigh(Vector512<float> a, Vector512<float> b) =>
        Avx512F.PermuteVar16x32x2(a, Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Transpose(float* rows) => Transpose16x16.Transpose((Vector512<float>*)rows, (Vector512<float>*)rows);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector512<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> LoadBroadcast(float* p) => Vector512.Create(*p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Fma(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Sub(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Mul(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Div(Vector512<float> a, Vector512<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Sqrt(Vector512<float> v) => Vector512.Sqrt(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector512<float> v) => Vector512.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreLowerAsDoubles(double* p, Vector512<float> v) => Vector512.WidenLower(v).Store(p);
}

/// <summary>The 256-bit width (AVX2).</summary>
internal readonly unsafe struct Simd256 : ISimdWidth<Vector256<float>>
{
    public static int Lanes => 8;
    public static int TileRows => 6;
    public static int Registers => 16;
    public static bool IsSupported => Vector256.IsHardwareAccelerated && Avx.IsSupported;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    public static Vector256<float> Indices => Vector256<float>.Indices;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreInt32(int* p, Vector256<float> v) => Vector256.ConvertToInt32(v).Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> GreaterThan(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> IsNaN(Vector256<float> v) => ~Vector256.Equals(v, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Equal(Vector256<float> a, Vector256<float> b) => Vector256.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Select(Vector256<float> mask, Vector256<float> a, Vector256<float> b) => Vector256.ConditionalSelect(mask, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> And(Vector256<float> a, Vector256<float> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> AndNot(Vector256<float> a, Vector256<float> b) => Vector256.AndNot(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Or(Vector256<float> a, Vector256<float> b) => a | b;
    // vmaskmovps (AVX): masked-off lanes are neither read nor written, so no fault past the end.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadFirst(float* p, int count) => Avx.MaskLoad(p, FirstLanes(count));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreFirst(float* p, Vector256<float> v, int count) => Avx.MaskStore(p, FirstLanes(count), v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> FirstLanes(int count) => Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();
    // shufps takes lanes 0, 2 (1, 3) of each input within each 128-bit half; vpermpd puts the halves in order.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Even(Vector256<float> a, Vector256<float> b) => Avx2.Permute4x64(Avx.Shuffle(a, b, 0x88).AsDouble(), 0xD8).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Odd(Vector256<float> a, Vector256<float> b) => Avx2.Permute4x64(Avx.Shuffle(a, b, 0xDD).AsDouble(), 0xD8).AsSingle();
    // unpcklps/unpckhps interleave within each 128-bit half (a0 b0 a1 b1 | a4 b4 a5 b5 and a2 b2 a3 b3 | a6 b6 a7 b7);
    // vperm2f128 takes the low halves of both, or the high halves.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ZipLow(Vector256<float> a, Vector256<float> b) => Avx.Permute2x128(Avx.UnpackLow(a, b), Avx.UnpackHigh(a, b), 0x20);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ZipHigh(Vector256<float> a, Vector256<float> b) => Avx.Permute2x128(Avx.UnpackLow(a, b), Avx.UnpackHigh(a, b), 0x31);
    /// <summary>8×8: unpack row pairs, shuffle 2×2 blocks of pairs, then swap 128-bit halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose(float* r)
    {
        var rows = (Vector256<float>*)r;
        var t0 = Avx.UnpackLow(rows[0], rows[1]); var t1 = Avx.UnpackHigh(rows[0], rows[1]);
        var t2 = Avx.UnpackLow(rows[2], rows[3]); var t3 = Avx.UnpackHigh(rows[2], rows[3]);
        var t4 = Avx.UnpackLow(rows[4], rows[5]); var t5 = Avx.UnpackHigh(rows[4], rows[5]);
        var t6 = Avx.UnpackLow(rows[6], rows[7]); var t7 = Avx.UnpackHigh(rows[6], rows[7]);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        rows[0] = Avx.Permute2x128(u0, u4, 0x20); rows[4] = Avx.Permute2x128(u0, u4, 0x31);
        rows[1] = Avx.Permute2x128(u1, u5, 0x20); rows[5] = Avx.Permute2x128(u1, u5, 0x31);
        rows[2] = Avx.Permute2x128(u2, u6, 0x20); rows[6] = Avx.Permute2x128(u2, u6, 0x31);
        rows[3] = Avx.Permute2x128(u3, u7, 0x20); rows[7] = Avx.Permute2x128(u3, u7, 0x31);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector256<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> LoadBroadcast(float* p) => Vector256.Create(*p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Fma(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sub(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Mul(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Div(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sqrt(Vector256<float> v) => Vector256.Sqrt(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> v) => Vector256.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreLowerAsDoubles(double* p, Vector256<float> v) => Vector256.WidenLower(v).Store(p);
}

/// <summary>The 128-bit width: NEON on ARM64, SSE/AVX registers on x86 without AVX2.</summary>
internal readonly unsafe struct Simd128 : ISimdWidth<Vector128<float>>
{
    public static int Lanes => 4;
    // A JIT-time constant: AdvSimd.Arm64.IsSupported is folded when the method is compiled.
    public static int TileRows => AdvSimd.Arm64.IsSupported ? 8 : 6;
    public static int Registers => AdvSimd.Arm64.IsSupported ? 32 : 16;
    public static bool IsSupported => Vector128.IsHardwareAccelerated && (Sse.IsSupported || AdvSimd.Arm64.IsSupported);
    public static Vector128<float> Zero => Vector128<float>.Zero;
    public static Vector128<float> Indices => Vector128<float>.Indices;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreInt32(int* p, Vector128<float> v) => Vector128.ConvertToInt32(v).Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> GreaterThan(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> IsNaN(Vector128<float> v) => ~Vector128.Equals(v, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Equal(Vector128<float> a, Vector128<float> b) => Vector128.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Select(Vector128<float> mask, Vector128<float> a, Vector128<float> b) => Vector128.ConditionalSelect(mask, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> And(Vector128<float> a, Vector128<float> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> AndNot(Vector128<float> a, Vector128<float> b) => Vector128.AndNot(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Or(Vector128<float> a, Vector128<float> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadFirst(float* p, int count)
    {
        if (Avx.IsSupported) return Avx.MaskLoad(p, FirstLanes(count));
        var v = Vector128<float>.Zero;
        for (int i = 0; i < count; i++) v = v.WithElement(i, p[i]);
        return v;
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreFirst(float* p, Vector128<float> v, int count)
    {
        if (Avx.IsSupported) { Avx.MaskStore(p, FirstLanes(count), v); return; }
        for (int i = 0; i < count; i++) p[i] = v.GetElement(i);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> FirstLanes(int count) => Vector128.LessThan(Vector128<int>.Indices, Vector128.Create(count)).AsSingle();
    // uzp1/uzp2 on ARM64, shufps on x86.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Even(Vector128<float> a, Vector128<float> b) =>
        AdvSimd.Arm64.IsSupported ? AdvSimd.Arm64.UnzipEven(a, b) :
        Sse.IsSupported ? Sse.Shuffle(a, b, 0x88) : Vector128.Create(a[0], a[2], b[0], b[2]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Odd(Vector128<float> a, Vector128<float> b) =>
        AdvSimd.Arm64.IsSupported ? AdvSimd.Arm64.UnzipOdd(a, b) :
        Sse.IsSupported ? Sse.Shuffle(a, b, 0xDD) : Vector128.Create(a[1], a[3], b[1], b[3]);
    // zip1/zip2 on ARM64, unpcklps/unpckhps on x86.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ZipLow(Vector128<float> a, Vector128<float> b) =>
        AdvSimd.Arm64.IsSupported ? AdvSimd.Arm64.ZipLow(a, b) :
        Sse.IsSupported ? Sse.UnpackLow(a, b) : Vector128.Create(a[0], b[0], a[1], b[1]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ZipHigh(Vector128<float> a, Vector128<float> b) =>
        AdvSimd.Arm64.IsSupported ? AdvSimd.Arm64.ZipHigh(a, b) :
        Sse.IsSupported ? Sse.UnpackHigh(a, b) : Vector128.Create(a[2], b[2], a[3], b[3]);
    /// <summary>4×4: interleave row pairs (unpcklps / zip1), then their 64-bit halves (movlhps / zip1 on doubles).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose(float* r)
    {
        var rows = (Vector128<float>*)r;
        if (AdvSimd.Arm64.IsSupported)
        {
            var t0 = AdvSimd.Arm64.ZipLow(rows[0], rows[1]).AsDouble(); var t1 = AdvSimd.Arm64.ZipHigh(rows[0], rows[1]).AsDouble();
            var t2 = AdvSimd.Arm64.ZipLow(rows[2], rows[3]).AsDouble(); var t3 = AdvSimd.Arm64.ZipHigh(rows[2], rows[3]).AsDouble();
            rows[0] = AdvSimd.Arm64.ZipLow(t0, t2).AsSingle(); rows[1] = AdvSimd.Arm64.ZipHigh(t0, t2).AsSingle();
            rows[2] = AdvSimd.Arm64.ZipLow(t1, t3).AsSingle(); rows[3] = AdvSimd.Arm64.ZipHigh(t1, t3).AsSingle();
        }
        else
        {
            var t0 = Sse.UnpackLow(rows[0], rows[1]); var t1 = Sse.UnpackHigh(rows[0], rows[1]);
            var t2 = Sse.UnpackLow(rows[2], rows[3]); var t3 = Sse.UnpackHigh(rows[2], rows[3]);
            rows[0] = Sse.MoveLowToHigh(t0, t2); rows[1] = Sse.MoveHighToLow(t2, t0);
            rows[2] = Sse.MoveLowToHigh(t1, t3); rows[3] = Sse.MoveHighToLow(t3, t1);
        }
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(float* p) => Vector128.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector128<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Broadcast(float x) => Vector128.Create(x);
    // Without AVX2 the JIT makes Vector128.Create(*p) a load and a vpermilps, a shuffle on the pipes the
    // multiplies and adds need; AVX's vbroadcastss from memory is a load alone. ld1r on ARM64.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadBroadcast(float* p) =>
        Avx.IsSupported ? Avx.BroadcastScalarToVector128(p) :
        AdvSimd.IsSupported ? AdvSimd.LoadAndReplicateToVector128(p) : Vector128.Create(*p);
    // Vector128.FusedMultiplyAdd is fmla on ARM64 and vfmadd on x86 with FMA; without FMA it would round in software,
    // element by element, so there a multiply and an add (two pipes each on current x86 cores: the same peak).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Fma(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        System.Runtime.Intrinsics.X86.Fma.IsSupported || AdvSimd.IsSupported ? Vector128.FusedMultiplyAdd(a, b, c) : a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Fma(float a, float b, float c) =>
        System.Runtime.Intrinsics.X86.Fma.IsSupported || AdvSimd.IsSupported ? MathF.FusedMultiplyAdd(a, b, c) : a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Sub(Vector128<float> a, Vector128<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Mul(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Div(Vector128<float> a, Vector128<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Sqrt(Vector128<float> v) => Vector128.Sqrt(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector128<float> v) => Vector128.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreLowerAsDoubles(double* p, Vector128<float> v) => Vector128.WidenLower(v).Store(p);
}
