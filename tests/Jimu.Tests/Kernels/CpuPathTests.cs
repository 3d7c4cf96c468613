using System.Runtime.Intrinsics;
using Jimu.Kernels;

namespace Jimu.Tests.Kernels;

/// <summary>
/// .ci/run runs the kernel and layer tests three times: as the machine is (AVX-512 here), with DOTNET_EnableAVX512=0 (the
/// Vector256 paths; on .NET 10 the knob is EnableAVX512: DOTNET_EnableAVX512F=0 changes nothing) and with
/// DOTNET_EnableAVX2=0 (the 128-bit paths, NEON's width), and tools/arm64-leg.sh runs them on ARM64 under qemu; each leg telling this test which
/// path it expects in JIMU_EXPECT_KERNELS, so that a leg that silently ran the wrong path fails.
/// </summary>
public class CpuPathTests
{
    [Fact]
    public void The_leg_runs_the_kernel_path_it_names()
    {
        string? expected = Environment.GetEnvironmentVariable("JIMU_EXPECT_KERNELS");
        Assert.SkipWhen(string.IsNullOrEmpty(expected), "JIMU_EXPECT_KERNELS is not set: this run is not one of .ci/run's per-CPU legs");
        Assert.Equal(expected, GemmMicroKernel.Selected.ToString());
        Assert.Equal(expected == "Vector512", Vector512.IsHardwareAccelerated);
        Assert.Equal(expected is "Vector512" or "Vector256", Vector256.IsHardwareAccelerated);
        Assert.Equal(expected != "Scalar", Vector128.IsHardwareAccelerated);
    }
}
