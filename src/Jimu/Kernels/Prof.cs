using System.Diagnostics;
namespace Jimu.Kernels;
internal static class Prof
{
    public static readonly long[] Ticks = new long[16];
    public static readonly string[] Names = ["fcopy", "fin-tf", "fgemm", "fout", "chlast", "wV", "wdM", "wgemm", "wsum+G", "fweights", "", "", "", "", "", ""];
    public static long Now => Stopwatch.GetTimestamp();
    public static void Add(int i, long start) => Interlocked.Add(ref Ticks[i], Stopwatch.GetTimestamp() - start);
    public static void Reset() => Array.Clear(Ticks);
    public static void Print(int reps) { for (int i = 0; i < 16; i++) if (Ticks[i] != 0) Console.WriteLine($"  {Names[i],-14} {Ticks[i] * 1e3 / Stopwatch.Frequency / reps:F3} ms"); }
}
