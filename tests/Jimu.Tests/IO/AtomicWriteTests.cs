using System.Collections;
using Jimu.IO;
using Jimu.Tensors;

namespace Jimu.Tests.IO;

/// <summary>A failed write leaves an existing file as it was and no temporary file behind.</summary>
public class AtomicWriteTests
{
    /// <summary>Yields one tensor, then fails: the failure happens while the file is being written.</summary>
    private sealed class FailingDictionary : IReadOnlyDictionary<string, Tensor>
    {
        public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator()
        {
            yield return new("a", new Tensor(2));
            throw new InvalidOperationException("enumeration failed");
        }
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
        public int Count => 2;
        public Tensor this[string key] => throw new KeyNotFoundException();
        public IEnumerable<string> Keys => this.Select(kv => kv.Key);
        public IEnumerable<Tensor> Values => this.Select(kv => kv.Value);
        public bool ContainsKey(string key) => false;
        public bool TryGetValue(string key, out Tensor value) => throw new KeyNotFoundException();
    }

    private static byte[] WriteOriginal(string path)
    {
        SafeTensors.Write(path, new Dictionary<string, Tensor> { ["kept"] = new Tensor([1f, 2f, 3f], 3) }, new Dictionary<string, string> { ["v"] = "1" });
        return File.ReadAllBytes(path);
    }

    [Fact]
    public void FailingTensorEnumerationLeavesExistingFileUntouched()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        byte[] original = WriteOriginal(path);

        var e = Assert.Throws<InvalidOperationException>(() => SafeTensors.Write(path, new FailingDictionary()));
        Assert.Equal("enumeration failed", e.Message);

        Assert.Equal(original, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], dir.FileNames());
        Assert.Equal([1f, 2f, 3f], SafeTensors.Read(path)["kept"].Span.ToArray());
    }

    [Fact]
    public void IOErrorMidWriteLeavesExistingFileUntouched()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        byte[] original = WriteOriginal(path);

        var e = Assert.ThrowsAny<JimuException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[100]);
            stream.Flush();
            throw new IOException("No space left on device");
        }));
        Assert.Contains($"cannot write '{path}': No space left on device", e.Message);

        Assert.Equal(original, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], dir.FileNames());
    }

    [Fact]
    public void MissingDirectoryIsAClearError()
    {
        using var dir = new TempDirectory();
        string missing = dir.File("no-such-dir");
        string path = Path.Combine(missing, "model.safetensors");

        var e = Assert.ThrowsAny<JimuException>(() => SafeTensors.Write(path, new Dictionary<string, Tensor> { ["a"] = new Tensor(1) }));
        Assert.Contains($"cannot write '{path}': directory '{missing}' does not exist", e.Message);
        Assert.False(Directory.Exists(missing));
        Assert.Empty(dir.FileNames());
    }

    [Fact]
    public void TargetThatIsADirectoryIsAClearError()
    {
        using var dir = new TempDirectory();
        string path = dir.File("checkpoints");
        Directory.CreateDirectory(path);
        var e = Assert.ThrowsAny<JimuException>(() => AtomicFile.Write(path, s => s.WriteByte(1)));
        Assert.Contains("is a directory", e.Message);
        Assert.Empty(dir.FileNames());
    }

    [Fact]
    public void SuccessfulWriteLeavesOnlyTheTarget()
    {
        using var dir = new TempDirectory();
        string path = dir.File("out.bin");
        AtomicFile.Write(path, s => s.Write([1, 2, 3]));
        AtomicFile.Write(path, s => s.Write([4, 5]));
        Assert.Equal([4, 5], File.ReadAllBytes(path));
        Assert.Equal(["out.bin"], dir.FileNames());
    }
}
