using System.Numerics;
using System.Runtime.InteropServices;

namespace Jimu.Kernels;

/// <summary>
/// Single-precision matrix multiply on row-major matrices:
/// C[m×n] = op(A)·op(B) (or C += op(A)·op(B) when <c>accumulate</c>), where op(A) is m×k and op(B) is k×n.
/// A is stored m×k (row stride lda ≥ k), or k×m when transposed (lda ≥ m); likewise B is k×n, or n×k when transposed.
/// Every layer multiplies through this one entry point, so its implementation can change freely.
/// </summary>
public static class Gemm
{
    public static void Multiply(
        int m, int n, int k,
        ReadOnlySpan<float> a, int lda, bool transA,
        ReadOnlySpan<float> b, int ldb, bool transB,
        Span<float> c, int ldc, bool accumulate = false)
    {
        Validate(m, n, k, a.Length, lda, transA, b.Length, ldb, transB, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (!accumulate)
            for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
        if (k == 0) return;
        GemmReference.Multiply(m, n, k, a, lda, transA, b, ldb, transB, c, ldc);
    }

    internal static void Validate(int m, int n, int k, int aLength, int lda, bool transA,
        int bLength, int ldb, bool transB, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), $"Negative GEMM size m={m}, n={n}, k={k}.");
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        CheckOperand("A", aRows, aCols, lda, aLength);
        CheckOperand("B", bRows, bCols, ldb, bLength);
        CheckOperand("C", m, n, ldc, cLength);
    }

    private static void CheckOperand(string name, int rows, int cols, int ld, int length)
    {
        if (rows == 0 || cols == 0) return;
        if (ld < cols) throw new ArgumentException($"GEMM: leading dimension of {name} ({ld}) is smaller than its {cols} columns.");
        long need = (long)(rows - 1) * ld + cols;
        if (length < need) throw new ArgumentException($"GEMM: {name} needs {need} elements for {rows}x{cols} with stride {ld}, got {length}.");
    }
}

/// <summary>
/// The plain algorithm, vectorised along rows: the reference against which faster kernels are tested.
/// Adds op(A)·op(B) into C.
/// </summary>
internal static class GemmReference
{
    public static void Multiply(int m, int n, int k,
        ReadOnlySpan<float> a, int lda, bool transA,
        ReadOnlySpan<float> b, int ldb, bool transB,
        Span<float> c, int ldc)
    {
        if (!transB)
        {
            // C[i,:] += A(i,p) · B[p,:]  (row axpy, contiguous in B and C)
            for (int i = 0; i < m; i++)
            {
                var ci = c.Slice(i * ldc, n);
                for (int p = 0; p < k; p++)
                {
                    float aip = transA ? a[p * lda + i] : a[i * lda + p];
                    if (aip != 0f) Elementwise.AddScaled(ci, b.Slice(p * ldb, n), aip);
                }
            }
        }
        else if (!transA)
        {
            // C[i,j] += A[i,:] · B[j,:]  (dot of two contiguous rows)
            for (int i = 0; i < m; i++)
            {
                var ai = a.Slice(i * lda, k);
                for (int j = 0; j < n; j++) c[i * ldc + j] += Dot(ai, b.Slice(j * ldb, k));
            }
        }
        else
        {
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    float s = 0;
                    for (int p = 0; p < k; p++) s += a[p * lda + i] * b[j * ldb + p];
                    c[i * ldc + j] += s;
                }
        }
    }

    private static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        var xs = MemoryMarshal.Cast<float, Vector<float>>(x);
        var ys = MemoryMarshal.Cast<float, Vector<float>>(y);
        var acc = Vector<float>.Zero;
        for (int i = 0; i < xs.Length; i++) acc += xs[i] * ys[i];
        float s = Vector.Sum(acc);
        for (int i = xs.Length * Vector<float>.Count; i < x.Length; i++) s += x[i] * y[i];
        return s;
    }
}
