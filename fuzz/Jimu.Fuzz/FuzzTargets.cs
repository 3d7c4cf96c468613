using System.Text;
using Jimu.Data;
using Jimu.Models;
using Jimu.Onnx;

namespace Jimu.Fuzz;

/// <summary>
/// One entry point per parser of outside input. Each takes the raw bytes of a file and must either succeed or
/// throw the library's own error (a <see cref="JimuException"/>: what the CLI prints as its one-line error). Any
/// other exception (a <see cref="Jimu.Tensors.ShapeException"/> too: a file's shapes are checked before a tensor reaches a
/// layer), a hang or running out of memory is a bug: <see cref="Run"/> lets it escape, so afl records a crash and
/// the tests fail.
/// </summary>
public static class FuzzTargets
{
    /// <summary>The image target's pixel limit: 2²⁵ (33.5 MP) instead of predict's 100 MP, so one input that passes the
    /// header check decodes in afl's time and memory limits; the limit check itself is the same code.</summary>
    private const long FuzzMaxPixels = 1L << 25;

    /// <summary>Target name → parser.</summary>
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["safetensors"] = b => Jimu.IO.SafeTensors.Read(new MemoryStream(b, writable: false), "fuzz.safetensors"),
        ["idx"] = b => IdxReader.ReadRaw(new MemoryStream(b, writable: false), "fuzz-idx", out _),
        ["architecture"] = b => Architecture.FromJson(Encoding.UTF8.GetString(b), "fuzz.json").Build(),
        // What `jimu predict` (and `serve`) does with an uploaded file: PNG/JPEG/IDX → 28×28 grey pixels,
        // resized as it is and MNIST-style (centred by mass, inverted when light).
        ["image"] = b =>
        {
            Jimu.Cli.ImageInput.Decode(b, "fuzz-image", 1, 28, 28, invert: false, maxPixels: FuzzMaxPixels);
            Jimu.Cli.ImageInput.Decode(b, "fuzz-image", 1, 28, 28, invert: false, Jimu.Cli.ImageInput.Preprocess.Mnist, FuzzMaxPixels);
        },
        // The model loader as a whole: safetensors, stored architecture, weights, optimizer and training state.
        ["model"] = b => Model.FromStream(new MemoryStream(b, writable: false), "fuzz.safetensors", null),
        // ONNX import (Jimu.Onnx): protobuf, graph, initializers, layers.
        ["onnx"] = b => Model.FromOnnx(b, "fuzz.onnx"),
    };

    /// <summary>Runs <paramref name="target"/> on <paramref name="input"/>; the library's own errors are expected outcomes.</summary>
    public static void Run(string target, byte[] input)
    {
        try { All[target](input); }
        catch (JimuException) { }
    }
}
