using Jimu.Layers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Jimu.Models;
using Jimu.Tensors;
using Jimu.Training;

namespace Jimu.Fuzz;

/// <summary>
/// Writes the small seed corpus under fuzz/corpus/TARGET/ (`Jimu.Fuzz --write-seeds DIR`): valid files of each
/// format, tiny so that afl's mutations reach every field. PNG and JPEG seeds are committed as made by ImageMagick.
/// </summary>
public static class SeedCorpus
{
    public static void Write(string root)
    {
        var tiny = new ArchitectureBuilder("tiny", 1, 6, 6).Conv2D(2, kernel: 3).Relu().MaxPool(2).Flatten().Dropout(0.25).Linear(3).Build();
        Save(root, "architecture", "tiny.json", Encoding.UTF8.GetBytes(tiny.ToJson(indented: true)));
        Save(root, "architecture", "all-layers.json", Encoding.UTF8.GetBytes("""
            {"name":"all","input":[1,8,8],"layers":[
              {"type":"conv2d","out_channels":2,"kernel":[3,3],"stride":[1,1],"padding":"same","algorithm":"im2col"},
              {"type":"relu"},{"type":"avgpool2d","kernel":2,"padding":"0,1"},{"type":"maxpool2d","kernel":2,"algorithm":"direct"},
              {"type":"flatten"},{"type":"dropout","p":0.5},{"type":"linear","out_features":4,"bias":false}]}
            """));

        // A trained model with SGD momentum (optimizer and training state in the file) and a plain one.
        var model = Model.Create(tiny, seed: 3);
        var images = new Tensor(4, 1, 6, 6);
        for (int i = 0; i < images.Length; i++) images.Span[i] = (i * 37 % 11) / 10f;
        var data = new Jimu.Data.Dataset(images, [0, 1, 2, 1]);
        model.Fit(data, null, new OptimizerSettings { Kind = OptimizerKind.Sgd, LearningRate = 0.1f, Momentum = 0.9f },
            new TrainingOptions { Epochs = 1, BatchSize = 2 });
        foreach (var target in new[] { "model", "safetensors" })
        {
            Save(root, target, "trained.safetensors", ToBytes(model.Save));
            Save(root, target, "plain.safetensors", ToBytes(p => Model.Create(tiny).Save(p)));
        }
        Save(root, "onnx", "trained.onnx", Jimu.Onnx.OnnxExport.ToOnnxBytes(model));
        var bn = new ArchitectureBuilder("bn", 1, 6, 6).Conv2D(2, kernel: 3, padding: Padding.Same).BatchNorm().Relu().AvgPool(2).Flatten().Linear(2).Build();
        Save(root, "onnx", "batchnorm.onnx", Jimu.Onnx.OnnxExport.ToOnnxBytes(Model.Create(bn, seed: 5)));
        var halves = new Dictionary<string, Tensor> { ["a"] = new Tensor([1f, -2f, 0.5f], 3), ["b"] = new Tensor(2, 0) };
        Save(root, "safetensors", "f32-empty.safetensors", ToBytes(p => Jimu.IO.SafeTensors.Write(p, halves, new Dictionary<string, string> { ["k"] = "v" })));

        byte[] idxImages = Idx(0x00000803, [2, 3, 3], Enumerable.Range(0, 18).Select(i => (byte)(i * 14)).ToArray());
        Save(root, "idx", "images.idx", idxImages);
        Save(root, "idx", "labels.idx", Idx(0x00000801, [3], [7, 0, 9]));
        Save(root, "idx", "images.idx.gz", Gzip(idxImages));
        Save(root, "image", "images.idx", idxImages);
    }

    private static byte[] ToBytes(Action<string> save)
    {
        string path = Path.Combine(Path.GetTempPath(), $"jimu-seed-{Guid.NewGuid():N}.safetensors");
        try { save(path); return File.ReadAllBytes(path); }
        finally { File.Delete(path); }
    }

    /// <summary>The bytes of an IDX file: big-endian magic, sizes, then the payload.</summary>
    public static byte[] Idx(int magic, int[] dims, byte[] payload)
    {
        var bytes = new byte[4 + 4 * dims.Length + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        payload.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    /// <summary>gzip-compressed <paramref name="raw"/>.</summary>
    public static byte[] Gzip(byte[] raw)
    {
        var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true)) gz.Write(raw);
        return output.ToArray();
    }

    private static void Save(string root, string target, string name, byte[] bytes)
    {
        Directory.CreateDirectory(Path.Combine(root, target));
        File.WriteAllBytes(Path.Combine(root, target, name), bytes);
    }
}
