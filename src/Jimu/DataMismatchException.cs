namespace Jimu;

/// <summary>
/// Data that does not fit the model it is given to: images of another shape, more classes than outputs, or class
/// names that are not the model's. <see cref="Where"/> names the call or data ("eval", a folder); <see cref="Expected"/>
/// is what the model takes and <see cref="Actual"/> what the data has, as text ("1×28×28", "10 classes").
/// </summary>
public sealed class DataMismatchException(string where, string expected, string actual, string message) : JimuException(message)
{
    /// <summary>The call or data set at fault.</summary>
    public string Where { get; } = where;
    /// <summary>What the model takes.</summary>
    public string Expected { get; } = expected;
    /// <summary>What the data has.</summary>
    public string Actual { get; } = actual;
}
