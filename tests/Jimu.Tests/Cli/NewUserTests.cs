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
}
