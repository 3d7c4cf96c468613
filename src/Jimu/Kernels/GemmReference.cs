using System.Numerics;
using System.Runtime.InteropServices;

namespace Jimu.Kernels;

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
