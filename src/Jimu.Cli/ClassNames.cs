using System.Globalization;
using Jimu.Models;

namespace Jimu.Cli;

/// <summary>The names of a model's classes, for pictures and the server.</summary>
public static class ClassNames
{
    /// <summary>Class i is called "i" (MNIST's digits are their own names).</summary>
    public static IReadOnlyList<string> Of(Model model, int count) =>
        Enumerable.Range(0, count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
}
