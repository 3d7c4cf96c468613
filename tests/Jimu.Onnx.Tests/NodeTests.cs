using Jimu.Models;
using Jimu.Onnx.Proto;
using Jimu.Tensors;

namespace Jimu.Onnx.Tests;

/// <summary>
/// The ONNX backend node tests that Debian's libonnx-testdata ships (model.onnx, test_data_set_0/input_*.pb and
/// output_0.pb) for the operators Jimu has. Each one either imports and matches the expected output to 1e-5 of its
/// largest magnitude, or is refused with a one-line error; the table below says which, and why (it is the README's).
/// Inputs after the first (weights the tests feed as graph inputs) are bound as constants.
/// </summary>
public class NodeTests
{
    public const string DataDirectory = "/usr/share/libonnx-testdata/data/node";

    /// <summary>Test → null when it must pass, else a fragment of the refusal it must get.</summary>
    public static readonly IReadOnlyDictionary<string, string?> Expected = new Dictionary<string, string?>
    {
        ["test_averagepool_1d_default"] = "3-D",
        ["test_averagepool_2d_ceil"] = "ceil_mode=1",
        ["test_averagepool_2d_default"] = null,
        ["test_averagepool_2d_pads"] = "count_include_pad=0",
        ["test_averagepool_2d_pads_count_include_pad"] = null,
        ["test_averagepool_2d_precomputed_pads"] = "count_include_pad=0",
        ["test_averagepool_2d_precomputed_pads_count_include_pad"] = null,
        ["test_averagepool_2d_precomputed_same_upper"] = "count_include_pad=0",
        ["test_averagepool_2d_precomputed_strides"] = null,
        ["test_averagepool_2d_same_lower"] = "count_include_pad=0",
        ["test_averagepool_2d_same_upper"] = "count_include_pad=0",
        ["test_averagepool_2d_strides"] = null,
        ["test_averagepool_3d_default"] = "5-D",
        ["test_basic_conv_with_padding"] = null,
        ["test_basic_conv_without_padding"] = null,
        ["test_conv_with_autopad_same"] = null,
        ["test_conv_with_strides_and_asymmetric_padding"] = null,
        ["test_conv_with_strides_no_padding"] = null,
        ["test_conv_with_strides_padding"] = null,
        ["test_flatten_axis0"] = "axis=0",
        ["test_flatten_axis1"] = null,
        ["test_flatten_axis2"] = "axis=2",
        ["test_flatten_axis3"] = "axis=3",
        ["test_flatten_default_axis"] = null,
        ["test_flatten_negative_axis1"] = "axis=-1",
        ["test_flatten_negative_axis2"] = "axis=-2",
        ["test_flatten_negative_axis3"] = null,
        ["test_flatten_negative_axis4"] = "axis=-4",
        ["test_gemm_all_attributes"] = "2-D",
        ["test_gemm_alpha"] = "2-D",
        ["test_gemm_beta"] = "2-D",
        ["test_gemm_default_matrix_bias"] = "2-D",
        ["test_gemm_default_no_bias"] = "2-D",
        ["test_gemm_default_scalar_bias"] = "2-D",
        ["test_gemm_default_single_elem_vector_bias"] = "2-D",
        ["test_gemm_default_vector_bias"] = "2-D",
        ["test_gemm_default_zero_bias"] = "2-D",
        ["test_gemm_transposeA"] = "2-D",
        ["test_gemm_transposeB"] = "2-D",
        ["test_maxpool_1d_default"] = "3-D",
        ["test_maxpool_2d_ceil"] = "ceil_mode=1",
        ["test_maxpool_2d_default"] = null,
        ["test_maxpool_2d_dilations"] = "dilations",
        ["test_maxpool_2d_pads"] = null,
        ["test_maxpool_2d_precomputed_pads"] = null,
        ["test_maxpool_2d_precomputed_same_upper"] = null,
        ["test_maxpool_2d_precomputed_strides"] = null,
        ["test_maxpool_2d_same_lower"] = null,
        ["test_maxpool_2d_same_upper"] = null,
        ["test_maxpool_2d_strides"] = null,
        ["test_maxpool_2d_uint8"] = "uint8",
        ["test_maxpool_3d_default"] = "5-D",
        ["test_maxpool_with_argmax_2d_precomputed_pads"] = "Indices",
        ["test_maxpool_with_argmax_2d_precomputed_strides"] = "Indices",
        ["test_relu"] = "3-D",
        ["test_batchnorm_epsilon"] = null,
        ["test_batchnorm_epsilon_training_mode"] = "training_mode=1",
        ["test_batchnorm_example"] = null,
        ["test_batchnorm_example_training_mode"] = "training_mode=1",
        ["test_globalaveragepool"] = null,
        ["test_globalaveragepool_precomputed"] = null,
        ["test_leakyrelu"] = "3-D",
        ["test_leakyrelu_default"] = "3-D",
        ["test_leakyrelu_example"] = "1-D",
        ["test_sigmoid"] = "3-D",
        ["test_sigmoid_example"] = "1-D",
        ["test_tanh"] = "3-D",
        ["test_tanh_example"] = "1-D",
    };

    public static TheoryData<string> Names() => new(Expected.Keys.Order(StringComparer.Ordinal));

    [Theory, MemberData(nameof(Names))]
    public void PassesOrIsRefused(string test)
    {
        string dir = Path.Combine(DataDirectory, test);
        Assert.SkipUnless(Directory.Exists(DataDirectory), $"libonnx-testdata is not installed ({DataDirectory} is missing): apt-get install libonnx-testdata");
        Check(test, Run(dir), Expected[test]);
    }

    /// <summary>Passed when <paramref name="expected"/> is null, else refused with a one-line message containing it.</summary>
    private static void Check(string test, (string Outcome, string Detail) result, string? expected)
    {
        var (outcome, detail) = result;
        if (expected is null) Assert.True(outcome == "passed", $"{test}: {outcome}: {detail}");
        else
        {
            Assert.True(outcome == "refused", $"{test} should be refused ({expected}) but {outcome}: {detail}");
            Assert.Contains(expected, detail);
            Assert.DoesNotContain('\n', detail);
        }
    }

    /// <summary>
    /// The tests refused only because their input is not an image batch (Relu, LeakyRelu, Sigmoid, Tanh on [3, 4, 5] or
    /// [3]; Gemm on A [M, K]), run again with the input padded to 4-D by trailing 1s (and, for Gemm, A fed as
    /// [M, K, 1, 1] through a Flatten): the same numbers through Jimu's layers, checked against ONNX's expected output.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> ExpectedAsImages = new Dictionary<string, string?>
    {
        ["test_relu"] = null,
        ["test_leakyrelu"] = null,
        ["test_leakyrelu_default"] = null,
        ["test_leakyrelu_example"] = null,
        ["test_sigmoid"] = null,
        ["test_sigmoid_example"] = null,
        ["test_tanh"] = null,
        ["test_tanh_example"] = null,
        ["test_gemm_all_attributes"] = "transA=1",
        ["test_gemm_alpha"] = "alpha=0.5",
        ["test_gemm_beta"] = "beta=0.5",
        ["test_gemm_default_matrix_bias"] = "bias has shape [3, 4]",
        ["test_gemm_default_no_bias"] = null,
        ["test_gemm_default_scalar_bias"] = null,
        ["test_gemm_default_single_elem_vector_bias"] = null,
        ["test_gemm_default_vector_bias"] = null,
        ["test_gemm_default_zero_bias"] = null,
        ["test_gemm_transposeA"] = "transA=1",
        ["test_gemm_transposeB"] = null,
    };

    public static TheoryData<string> NamesAsImages() => new(ExpectedAsImages.Keys.Order(StringComparer.Ordinal));

    [Theory, MemberData(nameof(NamesAsImages))]
    public void PassesOrIsRefusedWithTheInputAsAnImageBatch(string test)
    {
        string dir = Path.Combine(DataDirectory, test);
        Assert.SkipUnless(Directory.Exists(DataDirectory), $"libonnx-testdata is not installed ({DataDirectory} is missing): apt-get install libonnx-testdata");
        Check(test, Run(dir, asImages: true), ExpectedAsImages[test]);
    }

    /// <summary>("passed" | "refused" | "differs", detail) for one node test folder.</summary>
    public static (string Outcome, string Detail) Run(string dir, bool asImages = false)
    {
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "model.onnx")));
        string data = Path.Combine(dir, "test_data_set_0");
        var inputs = Directory.GetFiles(data, "input_*.pb").Order(StringComparer.Ordinal)
            .Select(f => TensorProto.Parser.ParseFrom(File.ReadAllBytes(f))).ToList();
        if (asImages) AsImages(proto, inputs[0]);
        var expected = TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(data, "output_0.pb")));
        var names = proto.Graph.Input.Select(i => i.Name).Where(n => proto.Graph.Initializer.All(t => t.Name != n)).ToList();
        var bound = new Dictionary<string, TensorProto>();
        for (int i = 1; i < names.Count && i < inputs.Count; i++) bound[names[i]] = inputs[i];

        Model model;
        try { model = OnnxImport.Import(proto, Path.GetFileName(dir), bound); }
        catch (JimuException e) { return ("refused", e.Message); }

        var x = OnnxTensors.Read(inputs[0], "input_0.pb", "input");
        var y = OnnxTensors.Read(expected, "output_0.pb", "output");
        model.Network.Training = false;
        var actual = model.Network.Forward(x.ToTensor());
        // GlobalAveragePool: Jimu's features are [N, C], ONNX's [N, C, 1, 1]: the same values in the same order (also the padded inputs).
        var want = y.Dims.Select(d => (int)d).ToArray();
        if (!actual.ShapeEquals(want) && !TrailingOnes(actual.Shape.ToArray(), want))
            return ("differs", $"shape {actual.ShapeString}, expected {Tensor.Format(want)}");
        var values = y.Floats!;
        double scale = Math.Max(values.Max(v => Math.Abs((double)v)), 1e-30), worst = 0;
        for (int i = 0; i < values.Length; i++) worst = Math.Max(worst, Math.Abs(values[i] - (double)actual.Span[i]) / scale);
        return worst <= 1e-5 ? ("passed", $"largest difference {worst:E1}") : ("differs", $"largest difference {worst:E2}");
    }

    /// <summary>Pads the first input to [d0, d1, 1, 1]-style 4-D with trailing 1s; a Gemm reads it through a Flatten.</summary>
    private static void AsImages(ModelProto proto, TensorProto x)
    {
        var input = proto.Graph.Input[0];
        var dims = input.Type.TensorType.Shape.Dim;
        while (dims.Count < 4) dims.Add(new TensorShapeProto.Types.Dimension { DimValue = 1 });
        while (x.Dims.Count < 4) x.Dims.Add(1);
        if (proto.Graph.Node[0].OpType == "Gemm")
        {
            var flatten = new NodeProto { Name = "flatten", OpType = "Flatten", Input = { input.Name }, Output = { "flat" } };
            proto.Graph.Node[0].Input[0] = "flat";
            proto.Graph.Node.Insert(0, flatten);
        }
    }

    private static bool TrailingOnes(int[] a, int[] b) => Squeeze(a).SequenceEqual(Squeeze(b));

    private static int[] Squeeze(int[] shape)
    {
        int n = shape.Length;
        while (n > 1 && shape[n - 1] == 1) n--;
        return shape[..n];
    }
}
