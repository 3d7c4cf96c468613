using Jimu.Models;

namespace Jimu.Tests.Cli;

/// <summary>What a new user meets first: help that names the command, and errors in Jimu's words, not .NET's.</summary>
public class NewUserTests(TrainedTinyModel fixture) : IClassFixture<TrainedTinyModel>
{
    private static string OneLineError((int Code, string Out, string Err) r)
    {
        Assert.True(r.Code == 1, $"exit code {r.Code}\nstdout: {r.Out}\nstderr: {r.Err}");
        string err = r.Err.TrimEnd('\r', '\n');
        Assert.StartsWith("error: ", err);
        Assert.DoesNotContain('\n', err);
        Assert.DoesNotContain(err, c => char.IsControl(c));
        return err;
    }

    [Fact]
    public void Help_names_the_command_jimu()
    {
        var r = CliRunner.Run("train", "--help");
        Assert.Equal(0, r.Code);
        Assert.Contains("Usage:\n  jimu train [options]", r.Out.Replace("\r\n", "\n"));
        Assert.DoesNotContain("Jimu.Cli", r.Out);
        Assert.Contains("  jimu [command] [options]", CliRunner.Run("--help").Out);
    }

    [Fact]
    public void A_word_for_a_number_says_a_whole_number_not_System_Int32()
    {
        string err = OneLineError(CliRunner.Run("train", "--epochs", "two"));
        Assert.Contains("'two'", err);
        Assert.Contains("--epochs", err);
        Assert.Contains("as a whole number", err);
        Assert.DoesNotContain("System.", err);
        Assert.Contains("as a number", OneLineError(CliRunner.Run("train", "--lr", "fast")));
    }

    [Fact]
    public void A_field_typo_in_an_architecture_names_the_layer_the_field_and_the_nearest_name()
    {
        var e = Assert.ThrowsAny<JimuException>(() => Architecture.FromJson("""
            { "name": "t", "input": [1, 8, 8], "layers": [
              { "type": "relu" },
              { "type": "conv2d", "out_chanels": 4, "kernel": 3 } ] }
            """, "typo.json"));
        Assert.StartsWith("typo.json: layer 2 (conv2d) has an unknown field \"out_chanels\"; did you mean \"out_channels\"?", e.Message);
        Assert.DoesNotContain(".NET", e.Message);
        var top = Assert.ThrowsAny<JimuException>(() => Architecture.FromJson("""{ "input": [1, 8, 8], "layer": [] }""", "top.json"));
        Assert.StartsWith("top.json: the architecture has an unknown field \"layer\"; did you mean \"layers\"?", top.Message);
        var far = Assert.ThrowsAny<JimuException>(() => Architecture.FromJson("""{ "input": [1, 8, 8], "layers": [ { "type": "relu", "colour": 1 } ] }"""));
        Assert.DoesNotContain("did you mean", far.Message);
        Assert.EndsWith("the fields are type, name.", far.Message); // the discriminator once, not again as "Type"
    }

    [Fact]
    public void Data_that_is_a_file_says_it_is_a_file()
    {
        string file = fixture.Dir.File("some.gz");
        File.WriteAllBytes(file, [0x1f, 0x8b]);
        string err = OneLineError(CliRunner.Run("eval", "--model", fixture.ModelPath, "--data", file));
        Assert.Contains("is a file", err);
        Assert.DoesNotContain("does not exist", err);
    }

    [Fact]
    public void A_truncated_png_gives_a_readable_message()
    {
        var pixels = Enumerable.Range(0, 28 * 28).Select(i => (byte)(i * 7)).ToArray();
        var png = Png.Encode(28, 28, rgb: false, pixels);
        foreach (int keep in new[] { png.Length / 2, png.Length - 12, 40 })
        {
            string path = fixture.Dir.File($"cut-{keep}.png");
            File.WriteAllBytes(path, png[..keep]);
            string err = OneLineError(CliRunner.Run("predict", "--model", fixture.ModelPath, path));
            Assert.Contains($"cut-{keep}.png", err);
        }
    }
}

/// <summary>A bug is not the user's fault: no `error:` line, exit code 70, the stack trace in a log the message names.</summary>
public class InternalErrorTests
{
    [Fact]
    public void A_bug_says_so_and_writes_its_stack_trace_to_a_log()
    {
        var root = new System.CommandLine.RootCommand("test");
        var boom = new System.CommandLine.Command("boom");
        boom.SetAction(_ => { object? o = null; return o!.GetHashCode(); });
        root.Subcommands.Add(boom);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Jimu.Cli.Cli.Run(root, ["boom"], stdout, stderr);
        Assert.Equal(Jimu.Cli.Cli.InternalErrorExitCode, code);
        string err = stderr.ToString();
        Assert.StartsWith("internal error: NullReferenceException", err);
        Assert.DoesNotContain("error: ", err.Replace("internal error: ", ""));
        var log = System.Text.RegularExpressions.Regex.Match(err, @"The stack trace is in (\S+\.log);").Groups[1].Value;
        Assert.True(File.Exists(log), err);
        try
        {
            string text = File.ReadAllText(log);
            Assert.Contains("command: jimu boom", text);
            Assert.Contains("NullReferenceException", text);
            Assert.Contains("   at ", text);
        }
        finally { File.Delete(log); }
    }

    [Theory]
    [InlineData("argument")]
    [InlineData("format")]
    [InlineData("invaliddata")]
    [InlineData("shape")]
    public void A_BCL_exception_from_inside_is_a_bug_with_a_log_not_a_user_error(string kind)
    {
        // Only Jimu's typed errors, an invalid command line, file-system errors and cancellation are the user's;
        // an ArgumentException (or FormatException, InvalidDataException) that escapes is a bug in jimu.
        var root = new System.CommandLine.RootCommand("test");
        var boom = new System.CommandLine.Command("boom");
        boom.SetAction(int (_) => kind switch
        {
            "argument" => throw new ArgumentException("The twin network has a different structure.", "twin"),
            "format" => throw new FormatException("bad digits"),
            // jimu checks the user's images, data, files and architectures before a tensor reaches a layer.
            "shape" => throw new Jimu.Tensors.ShapeException("Relu 'relu1'", "output gradient", [8, 32, 28, 28], [8, 32, 14, 14]),
            _ => throw new InvalidDataException("bad block"),
        });
        root.Subcommands.Add(boom);
        var stderr = new StringWriter();
        int code = Jimu.Cli.Cli.Run(root, ["boom"], new StringWriter(), stderr);
        Assert.Equal(Jimu.Cli.Cli.InternalErrorExitCode, code);
        string err = stderr.ToString();
        Assert.StartsWith("internal error: ", err);
        var log = System.Text.RegularExpressions.Regex.Match(err, @"The stack trace is in (\S+\.log);").Groups[1].Value;
        Assert.True(File.Exists(log), err);
        try { Assert.Contains("   at ", File.ReadAllText(log)); }
        finally { File.Delete(log); }
    }

    [Fact]
    public void User_errors_are_the_typed_ones()
    {
        Assert.True(Jimu.Cli.Cli.IsUserError(new Jimu.SettingException("learning rate", "-1", "bad")));
        Assert.True(Jimu.Cli.Cli.IsUserError(new Jimu.ShapeMismatchException("m.safetensors", "fc1.weight", [10, 3136], [10, 100], "bad")));
        Assert.True(Jimu.Cli.Cli.IsUserError(new Jimu.Cli.CommandLineException("--top must be at least 1, got 0.")));
        Assert.True(Jimu.Cli.Cli.IsUserError(new FileNotFoundException("no such file", "x.png")));
        Assert.True(Jimu.Cli.Cli.IsUserError(new OperationCanceledException()));
        Assert.False(Jimu.Cli.Cli.IsUserError(new ArgumentException("x")));
        // A tensor of the wrong shape reaching a layer: jimu checks the user's data, files and architectures first.
        Assert.False(Jimu.Cli.Cli.IsUserError(new Jimu.Tensors.ShapeException("Model 'm'", "images", [-1, 1, 28, 28], [1, 3, 28, 28], "1×28×28 images")));
        Assert.False(Jimu.Cli.Cli.IsUserError(new ArgumentOutOfRangeException("x")));
        Assert.False(Jimu.Cli.Cli.IsUserError(new FormatException("x")));
        Assert.False(Jimu.Cli.Cli.IsUserError(new InvalidDataException("x")));
        Assert.False(Jimu.Cli.Cli.IsUserError(new InvalidOperationException("x")));
    }
}
