using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Jimu.Onnx.Tests;

/// <summary>Runs an ONNX model in ONNX Runtime (CPU) on one float32 input.</summary>
public static class OnnxRuntimeRunner
{
    public static float[] Run(byte[] model, float[] input, int[] shape)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        string name = session.InputMetadata.Keys.Single();
        var tensor = new DenseTensor<float>(input, shape);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(name, tensor)]);
        return results.Single().AsEnumerable<float>().ToArray();
    }
}
