using Jimu.Kernels;
using Jimu.Layers;

namespace Jimu.Tests.Kernels;

/// <summary>Unfold against its defining formula, and Fold as its adjoint: ⟨Unfold(x), c⟩ = ⟨x, Fold(c)⟩.</summary>
public class Im2ColTests
{
    public static TheoryData<int, int, int, int, int, int, int, string> Geometries => new()
    {
        // channels, h, w, kh, kw, sh, sw, padding
        { 2, 5, 5, 3, 3, 1, 1, "same" },
        { 3, 6, 7, 4, 2, 1, 1, "same" },   // even kernels: asymmetric padding
        { 1, 4, 4, 5, 5, 1, 1, "same" },   // kernel wider than the input: whole rows wrap
        { 2, 3, 9, 1, 7, 1, 1, "same" },
        { 2, 7, 7, 3, 3, 1, 1, "1,2,0,2" },
        { 2, 7, 7, 3, 3, 1, 1, "valid" },
        { 2, 7, 8, 3, 3, 2, 2, "same" },
        { 1, 9, 9, 3, 2, 2, 1, "1" },
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Unfold_matches_the_formula_and_Fold_is_its_adjoint(int c, int h, int w, int kh, int kw, int sh, int sw, string padding)
    {
        var g = ConvGeometry.Create("test", c, h, w, kh, kw, sh, sw, Padding.Parse(padding));
        var rng = new Random(c * 1000 + h * 10 + kw);
        var x = Enumerable.Range(0, g.InSize).Select(_ => (float)rng.NextDouble()).ToArray();
        var col = Enumerable.Repeat(float.NaN, g.PatchSize * g.OutPlane).ToArray();
        Im2Col.Unfold(x, g, col);
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < kh; i++)
                for (int j = 0; j < kw; j++)
                    for (int oh = 0; oh < g.OutH; oh++)
                        for (int ow = 0; ow < g.OutW; ow++)
                        {
                            int hh = oh * sh - g.PadTop + i, ww = ow * sw - g.PadLeft + j;
                            float expected = hh >= 0 && hh < h && ww >= 0 && ww < w ? x[(ch * h + hh) * w + ww] : 0f;
                            Assert.Equal(expected, col[((ch * kh + i) * kw + j) * g.OutPlane + oh * g.OutW + ow]);
                        }

        var r = Enumerable.Range(0, col.Length).Select(_ => (float)rng.NextDouble()).ToArray();
        var folded = new float[g.InSize];
        Im2Col.Fold(r, g, folded);
        double left = 0, right = 0;
        for (int k = 0; k < col.Length; k++) left += (double)col[k] * r[k];
        for (int k = 0; k < x.Length; k++) right += (double)x[k] * folded[k];
        Assert.Equal(left, right, 3);
    }
}
