using Jimu.Cli;

namespace Jimu.Tests.Cli;

/// <summary>
/// The CLI's side of the library's typed errors: one line `error: <the library's message> (<the hint>).` and exit 1,
/// where the hint names only an option the command being run has, and the option that named the file at fault.
/// </summary>
public class ErrorHintTests(TrainedTinyModel fixture) : IClassFixture<TrainedTinyModel>
{
    private static string ErrorLine((int Code, string Out, string Err) r)
    {
        Assert.True(r.Code == 1, $"exit code {r.Code}\nstdout: {r.Out}\nstderr: {r.Err}");
        string err = r.Err.TrimEnd('\n');
        Assert.StartsWith("error: ", err);
        Assert.DoesNotContain('\n', err);
        Assert.DoesNotMatch(@"\p{C}", err); // no NUL or other control character
        Assert.DoesNotContain("   at ", r.Err + r.Out);
        return err;
    }

    private string[] Train(TempDirectory dir, params string[] more)
    {
        var defaults = new List<string[]> { new[] { "--arch", fixture.Arch }, new[] { "--data", fixture.Data }, new[] { "--epochs", "1" }, new[] { "--batch-size", "16" }, new[] { "--out", dir.File("m.safetensors") } };
        defaults.RemoveAll(d => more.Contains(d[0]));
        return ["train", .. defaults.SelectMany(d => d), .. more];
    }

    private static byte[] TruncatedPng()
    {
        var png = Png.Encode(8, 8, rgb: false, Enumerable.Range(0, 64).Select(i => (byte)(i * 4)).ToArray());
        return png[..(png.Length / 2)];
    }

    [Fact]
    public void A_truncated_PNG_given_to_predict_is_one_clean_line_without_a_skip_bad_hint()
    {
        using var dir = new TempDirectory();
        string png = dir.File("cut.png");
        File.WriteAllBytes(png, TruncatedPng());
        var err = ErrorLine(CliRunner.Run("predict", "--model", fixture.ModelPath, png));
        Assert.Equal($"error: {png}: cannot decode the image (truncated or corrupt PNG: a chunk runs past the end of the file); replace the file.", err);
    }

    [Fact]
    public void A_truncated_PNG_in_training_data_points_at_skip_bad()
    {
        using var dir = new TempDirectory();
        string root = dir.File("pics");
        foreach (var split in new[] { "train", "test" })
            for (int c = 0; c < 2; c++)
                for (int i = 0; i < 2; i++)
                {
                    Directory.CreateDirectory(Path.Combine(root, split, $"c{c}"));
                    File.WriteAllBytes(Path.Combine(root, split, $"c{c}", $"{i}.png"), Png.Encode(28, 28, false, Enumerable.Repeat((byte)(c * 200), 784).ToArray()));
                }
        string bad = Path.Combine(root, "train", "c1", "2.png");
        File.WriteAllBytes(bad, TruncatedPng());
        string arch = dir.File("two.json");
        File.WriteAllText(arch, TinyModel.ArchJson.Replace("\"out_features\": 10", "\"out_features\": 2"));
        var err = ErrorLine(CliRunner.Run(Train(dir, "--data", root, "--arch", arch)));
        Assert.Equal($"error: {bad}: cannot decode the image (truncated or corrupt PNG: a chunk runs past the end of the file); replace the file (or pass --skip-bad to skip such files).", err);
        Assert.False(File.Exists(dir.File("m.safetensors")));
    }

    [Fact]
    public void A_corrupt_IDX_file_is_traced_to_data_in_train_and_eval_but_not_in_predict()
    {
        using var dir = new TempDirectory();
        string data = TinyModel.WriteData(dir.Path);
        string images = Path.Combine(data, "t10k-images-idx3-ubyte");
        var bytes = File.ReadAllBytes(images);
        bytes[2] = 0x0D; // element type float32 instead of unsigned byte
        File.WriteAllBytes(images, bytes);
        foreach (var args in new[] { Train(dir, "--data", data), ["eval", "--model", fixture.ModelPath, "--data", data] })
        {
            var err = ErrorLine(CliRunner.Run(args));
            Assert.StartsWith($"error: {images}: unsupported IDX element type 0x0d", err);
            Assert.EndsWith("(check --data).", err);
        }
        var line = ErrorLine(CliRunner.Run("predict", "--model", fixture.ModelPath, images));
        Assert.Contains(images, line);
        Assert.DoesNotContain("--data", line);
        Assert.False(File.Exists(dir.File("m.safetensors")));
    }

    [Fact]
    public void An_unwritable_output_names_the_option_that_gave_it()
    {
        using var dir = new TempDirectory();
        string folder = dir.File("a-folder");
        Directory.CreateDirectory(folder);
        var err = ErrorLine(CliRunner.Run(Train(dir, "--out", folder)));
        Assert.Equal($"error: cannot write '{folder}': it is a directory; give a file name (--out).", err);

        // The log is written after the first epoch: its failure names --log, not --out.
        string log = dir.File("log.csv");
        Directory.CreateDirectory(log);
        err = ErrorLine(CliRunner.Run(Train(dir, "--log", log)));
        Assert.Equal($"error: cannot write '{log}': it is a directory; give a file name (--log).", err);
        Assert.False(File.Exists(dir.File("m.safetensors")));
    }

    [Fact]
    public void Write_images_into_a_folder_it_cannot_create_or_that_is_not_empty_names_out()
    {
        using var dir = new TempDirectory();
        string blocker = dir.File("a-file");
        File.WriteAllText(blocker, "x");
        string under = Path.Combine(blocker, "pics");
        var err = ErrorLine(CliRunner.Run("write-images", "--data", fixture.Data, "--out", under));
        Assert.StartsWith($"error: {under}: cannot write the images (", err);
        Assert.EndsWith("); nothing was written (--out).", err);

        string full = dir.File("full");
        Directory.CreateDirectory(full);
        File.WriteAllText(Path.Combine(full, "keep.txt"), "mine");
        err = ErrorLine(CliRunner.Run("write-images", "--data", fixture.Data, "--out", full));
        Assert.Equal($"error: {full}: the folder exists and is not empty; choose a new folder so that nothing is overwritten (--out).", err);
        Assert.Equal(["a-file", Path.Combine("full", "keep.txt")], Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir.Path, f)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_diverging_run_says_where_and_to_lower_the_learning_rate()
    {
        using var dir = new TempDirectory();
        var err = ErrorLine(CliRunner.Run(Train(dir, "--lr", "1e30", "--momentum", "0", "--schedule", "constant")));
        Assert.Matches(@"^error: Training diverged at epoch 1, step \d+: the loss became (NaN|∞|-∞|Infinity)\. Lower the learning rate or check the data; nothing from this run was saved \(lower --lr\)\.$", err);
        Assert.False(File.Exists(dir.File("m.safetensors")));
    }

    [Fact]
    public void A_missing_classes_file_or_a_damaged_epoch_log_names_its_option()
    {
        using var dir = new TempDirectory();
        string names = dir.File("names.txt");
        var err = ErrorLine(CliRunner.Run("predict", "--model", fixture.ModelPath, "--classes", names, Path.Combine(fixture.Data, "t10k-images-idx3-ubyte")));
        Assert.Equal($"error: --classes: {names}: the class names file does not exist.", err);
        File.WriteAllLines(names, ["a", "b"]);
        err = ErrorLine(CliRunner.Run("predict", "--model", fixture.ModelPath, "--classes", names, Path.Combine(fixture.Data, "t10k-images-idx3-ubyte")));
        Assert.StartsWith($"error: --classes: {names}: 2 class name(s) but the model has 10 outputs", err);

        string model = dir.File("m.safetensors");
        File.Copy(fixture.ModelPath, model);
        string log = dir.File("log.csv");
        var good = CliRunner.Run(Train(dir, "--out", dir.File("other.safetensors"), "--log", log));
        Assert.True(good.Code == 0, good.Err);
        File.AppendAllText(log, "2,0.01,oops\n");
        err = ErrorLine(CliRunner.Run("train", "--resume", model, "--data", fixture.Data, "--epochs", "3", "--log", log));
        Assert.StartsWith($"error: {log}, line 3: not a line of a jimu epoch log", err);
        Assert.EndsWith("give another log file to resume with (check --log).", err);
    }

    [Fact]
    public void Hints_name_only_options_the_command_has()
    {
        var root = Jimu.Cli.Cli.CreateRoot();
        var decode = new ImageDecodeException("x.png", "x.png: cannot decode the image; replace the file.");
        Assert.EndsWith("(or pass --skip-bad to skip such files).", ErrorHints.Explain(decode, root.Parse(["train", "--data", "d"])));
        Assert.Equal(decode.Message, ErrorHints.Explain(decode, root.Parse(["predict", "--model", "m", "x.png"])));
        var diverged = new TrainingDivergedException(1, 2, "Training diverged.");
        Assert.Equal("Training diverged (lower --lr).", ErrorHints.Explain(diverged, root.Parse(["train"])));
        var checkpoint = new CheckpointException("m.safetensors", "Cannot resume.");
        Assert.Equal("Cannot resume.", ErrorHints.Explain(checkpoint, root.Parse(["eval", "--model", "m.safetensors"])));
        var setting = new SettingException("class names", "3", "3 names for 10 outputs.");
        Assert.Equal("--classes: 3 names for 10 outputs.", ErrorHints.Explain(setting, root.Parse(["predict", "--model", "m", "--classes", "c.txt", "x.png"])));
        Assert.Equal(setting.Message, ErrorHints.Explain(setting, root.Parse(["summary", "--model", "m"])));
        // A file under the folder an option gave is traced to that option.
        var data = new DataFormatException(Path.Combine("digits", "train-images-idx3-ubyte"), "truncated.");
        Assert.Equal("truncated (check --data).", ErrorHints.Explain(data, root.Parse(["eval", "--model", "m", "--data", "digits"])));
        Assert.Equal("truncated.", ErrorHints.Explain(data, root.Parse(["eval", "--model", "m", "--data", "digits2"])));
        // A default output name (no --out typed) still points at --out.
        var write = new FileWriteException("tiny.safetensors", "cannot write 'tiny.safetensors': denied.");
        Assert.Equal("cannot write 'tiny.safetensors': denied (--out).", ErrorHints.Explain(write, root.Parse(["train", "--arch", "tiny.json"])));
    }
}
