using Jimu.Layers;
using Jimu.Training;

namespace Jimu.Tests.Training;

public class OptimizerTests
{
    private static List<(string, Parameter)> OneParameter(float[] values)
    {
        var p = new Parameter("w", values.Length);
        values.CopyTo(p.Value.Data, 0);
        return [("layer.w", p)];
    }

    // Gradients of three steps; the torch figures below were printed by torch.optim (PyTorch 1.13) from w = [1, -2, 0.5].
    private static readonly float[][] Grads = [[0.1f, -0.2f, 0.3f], [0.05f, 0.4f, -0.1f], [-0.3f, 0.1f, 0.2f]];

    private static float[] Run(Optimizer opt, Parameter p)
    {
        foreach (var g in Grads)
        {
            g.CopyTo(p.Grad.Data, 0);
            opt.Step();
        }
        return p.Value.Span.ToArray();
    }

    [Fact]
    public void Sgd_with_momentum_and_weight_decay_matches_the_torch_rule()
    {
        var ps = OneParameter([1f, -2f, 0.5f]);
        var w = Run(new Sgd(ps, 0.1f, momentum: 0.9f, weightDecay: 0.01f), ps[0].Item2);
        // Hand-evaluated torch rule: g = ∇ + λw; b₁ = g; b = μb + g; w −= lr·b.
        double[] expected = Reference([1, -2, 0.5], 0.1, 0.9, 0.01, nesterov: false);
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], w[i], 5);
    }

    [Fact]
    public void Sgd_nesterov_matches_the_torch_rule()
    {
        var ps = OneParameter([1f, -2f, 0.5f]);
        var w = Run(new Sgd(ps, 0.05f, momentum: 0.8f, weightDecay: 0.001f, nesterov: true), ps[0].Item2);
        double[] expected = Reference([1, -2, 0.5], 0.05, 0.8, 0.001, nesterov: true);
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], w[i], 5);
    }

    /// <summary>torch.optim.SGD's algorithm, in double, written from its documentation.</summary>
    private static double[] Reference(double[] w, double lr, double mu, double wd, bool nesterov)
    {
        var b = new double[w.Length];
        for (int t = 0; t < Grads.Length; t++)
            for (int i = 0; i < w.Length; i++)
            {
                double g = Grads[t][i] + wd * w[i];
                b[i] = t == 0 ? g : mu * b[i] + g;
                w[i] -= lr * (nesterov ? g + mu * b[i] : b[i]);
            }
        return w;
    }

    [Fact]
    public void Sgd_matches_torch_printed_values()
    {
        // torch: w=[1,-2,0.5]; SGD(lr=0.1, momentum=0.9, weight_decay=0.01); three steps with Grads.
        var ps = OneParameter([1f, -2f, 0.5f]);
        var w = Run(new Sgd(ps, 0.1f, momentum: 0.9f, weightDecay: 0.01f), ps[0].Item2);
        float[] torch = [0.9878379f, -2.0206256f, 0.4150014f];
        for (int i = 0; i < 3; i++) Assert.Equal(torch[i], w[i], 5);
    }

    [Fact]
    public void Adam_matches_torch_printed_values()
    {
        // torch: w=[1,-2,0.5]; Adam(lr=0.01, weight_decay=0.01); three steps with Grads.
        var ps = OneParameter([1f, -2f, 0.5f]);
        var w = Run(new Adam(ps, 0.01f, weightDecay: 0.01f), ps[0].Item2);
        float[] torch = [0.9835311f, -1.9965789f, 0.4796494f];
        for (int i = 0; i < 3; i++) Assert.Equal(torch[i], w[i], 5);
    }

    [Fact]
    public void State_round_trip_continues_identically()
    {
        var a = OneParameter([1f, -2f, 0.5f]);
        var sgd = new Sgd(a, 0.1f, 0.9f, 0.01f);
        Grads[0].CopyTo(a[0].Item2.Grad.Data, 0); sgd.Step();
        var state = sgd.State().ToDictionary(s => s.Name, s => s.Value.Clone());
        var b = OneParameter(a[0].Item2.Value.Span.ToArray());
        var resumed = new Sgd(b, 0.1f, 0.9f, 0.01f);
        resumed.LoadState(state, sgd.Steps);
        for (int t = 1; t < 3; t++)
        {
            Grads[t].CopyTo(a[0].Item2.Grad.Data, 0); sgd.Step();
            Grads[t].CopyTo(b[0].Item2.Grad.Data, 0); resumed.Step();
        }
        Assert.Equal(a[0].Item2.Value.Span.ToArray(), b[0].Item2.Value.Span.ToArray());
    }

    [Fact]
    public void Invalid_settings_are_rejected()
    {
        var ps = OneParameter([1f]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(ps, -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(ps, 0.1f, momentum: -0.5f));
        Assert.Throws<ArgumentException>(() => new Sgd(ps, 0.1f, nesterov: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(ps, 0.1f, beta1: 1f));
    }

    [Theory]
    [InlineData("constant", 0, 0.1f)]
    [InlineData("constant", 7, 0.1f)]
    [InlineData("step:2:0.5", 0, 0.1f)]
    [InlineData("step:2:0.5", 3, 0.05f)]
    [InlineData("step:2:0.5", 4, 0.025f)]
    [InlineData("cosine", 0, 0.1f)]
    [InlineData("cosine", 5, 0.05f)]
    public void Schedules_follow_torch_lr_scheduler(string schedule, int epoch, float expected)
    {
        Assert.Equal(expected, LearningRateSchedule.Parse(schedule).At(0.1f, epoch, 10), 6);
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("step:0:0.5")]
    [InlineData("step:2:x")]
    public void Bad_schedules_are_rejected(string text)
    {
        var e = Assert.Throws<Jimu.SettingException>(() => LearningRateSchedule.Parse(text));
        Assert.Equal("learning-rate schedule", e.Setting);
        Assert.Equal(text, e.Value);
    }
}
