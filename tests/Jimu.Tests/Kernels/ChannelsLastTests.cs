using Jimu.Kernels;

namespace Jimu.Tests.Kernels;

public unsafe class ChannelsLastTests
{
    [Theory, MemberData(nameof(SimdWidths.All), MemberType = typeof(SimdWidths))]
    public void Transpose_swaps_vectors_and_lanes_and_partial_loads_and_stores_touch_only_their_lanes(int bits) =>
        SimdWidths.Run(bits, new TransposeTest());

    private readonly struct TransposeTest : IWidthTest
    {
        public void Run<S, V>() where S : struct, ISimdWidth<V> where V : unmanaged
        {
            int lanes = S.Lanes;
            float* rows = stackalloc float[lanes * lanes];
            for (int i = 0; i < lanes; i++)
                for (int j = 0; j < lanes; j++) rows[i * lanes + j] = 100 * i + j;
            S.Transpose(rows);
            for (int j = 0; j < lanes; j++)
                for (int i = 0; i < lanes; i++) Assert.Equal(100 * i + j, rows[j * lanes + i]);

            float* source = stackalloc float[lanes];
            float* target = stackalloc float[lanes + 1];
            for (int i = 0; i < lanes; i++) source[i] = i + 1;
            for (int count = 0; count <= lanes; count++)
            {
                var v = S.LoadFirst(source, count);
                S.Store(target, v);
                for (int i = 0; i < lanes; i++) Assert.Equal(i < count ? i + 1 : 0, target[i]);
                for (int i = 0; i <= lanes; i++) target[i] = -1;
                S.StoreFirst(target, S.Load(source), count);
                for (int i = 0; i <= lanes; i++) Assert.Equal(i < count ? i + 1 : -1, target[i]);
            }
        }
    }

    public static TheoryData<int, int, int, int, int, int, int> Copies()
    {
        var data = new TheoryData<int, int, int, int, int, int, int>();
        foreach (int bits in new[] { 512, 256, 128 })
        {
            data.Add(bits, 32, 14, 14, 2, 2, 32);   // conv2's input: whole channel blocks, a 14-pixel row
            data.Add(bits, 5, 3, 37, 1, 0, 16);     // a row longer than 16 pixels, channels short of a block
            data.Add(bits, 17, 2, 16, 0, 3, 32);    // one channel past a block, exactly 16 pixels
            data.Add(bits, 1, 1, 1, 4, 4, 16);
        }
        return data;
    }

    [Theory, MemberData(nameof(Copies))]
    public void Copy_puts_each_value_in_its_channels_last_place_and_zeros_elsewhere(int bits, int channels, int h, int w, int top, int left, int cPad) =>
        SimdWidths.Run(bits, new CopyTest(channels, h, w, top, left, cPad));

    private readonly struct CopyTest(int channels, int h, int w, int top, int left, int cPad) : IWidthTest
    {
        public void Run<S, V>() where S : struct, ISimdWidth<V> where V : unmanaged
        {
            int images = 3, first = 1, frameH = h + top + 2, frameW = w + left + 1;
            var rng = new Random(channels * 100 + w);
            var src = new float[(first + images) * channels * h * w];
            for (int i = 0; i < src.Length; i++) src[i] = (float)rng.NextDouble() + 1;   // never 0, so a missed value shows
            long frame = (long)frameH * frameW * cPad;
            var buffer = new AlignedBuffer(images * frame);
            new Span<float>(buffer.Pointer, (int)(images * frame)).Fill(float.NaN);   // stale contents must be cleared
            ChannelsLast.Copy<S, V>(src, first, images, channels, h, w, top, left, frameH, frameW, cPad, buffer.Pointer);
            for (int n = 0; n < images; n++)
                for (int fy = 0; fy < frameH; fy++)
                    for (int fx = 0; fx < frameW; fx++)
                        for (int c = 0; c < cPad; c++)
                        {
                            int i = fy - top, j = fx - left;
                            float expected = i >= 0 && i < h && j >= 0 && j < w && c < channels
                                ? src[(((first + n) * channels + c) * h + i) * w + j] : 0f;
                            Assert.Equal(expected, buffer.Pointer[n * frame + ((long)fy * frameW + fx) * cPad + c]);
                        }
            // Only the raw pointer is used above: without this the tier-1 JIT drops the buffer right after making it,
            // and a collection (another test's) frees its pinned array while the copy writes it and it is checked.
            GC.KeepAlive(buffer);
        }
    }
}
