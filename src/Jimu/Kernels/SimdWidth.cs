using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

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

    static abstract V Zero { get; }
    static abstract V Load(float* p);
    static abstract void Store(float* p, V v);
    static abstract V Broadcast(float x);
    /// <summary>a·b + c, rounded once (on x86 without FMA, which .NET 10 turns off with AVX2, rounded twice).</summary>
    static abstract V Fma(V a, V b, V c);
    static abstract V Add(V a, V b);
    static abstract V Sub(V a, V b);
    static abstract V Mul(V a, V b);
    static abstract float Sum(V v);
}

/// <summary>The 512-bit width (AVX-512).</summary>
internal readonly unsafe struct Simd512 : ISimdWidth<Vector512<float>>
{
    public static int Lanes => 16;
    public static int TileRows => 8;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector512<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Sub(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Mul(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector512<float> v) => Vector512.Sum(v);
}

/// <summary>The 256-bit width (AVX2).</summary>
internal readonly unsafe struct Simd256 : ISimdWidth<Vector256<float>>
{
    public static int Lanes => 8;
    public static int TileRows => 6;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector256<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sub(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Mul(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> v) => Vector256.Sum(v);
}

/// <summary>The 128-bit width: NEON on ARM64, SSE/AVX registers on x86 without AVX2.</summary>
internal readonly unsafe struct Simd128 : ISimdWidth<Vector128<float>>
{
    public static int Lanes => 4;
    // A JIT-time constant: AdvSimd.Arm64.IsSupported is folded when the method is compiled.
    public static int TileRows => AdvSimd.Arm64.IsSupported ? 8 : 6;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(float* p) => Vector128.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector128<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Broadcast(float x) => Vector128.Create(x);
    // Vector128.FusedMultiplyAdd is fmla on ARM64 and vfmadd on x86 with FMA; without FMA it would round in software,
    // element by element, so there a multiply and an add (two pipes each on current x86 cores: the same peak).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Fma(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        System.Runtime.Intrinsics.X86.Fma.IsSupported || AdvSimd.IsSupported ? Vector128.FusedMultiplyAdd(a, b, c) : a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Sub(Vector128<float> a, Vector128<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Mul(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector128<float> v) => Vector128.Sum(v);
}
