using System.Globalization;
using Jimu.Models;

namespace Jimu.Cli;

/// <summary>The names of a model's classes, for pictures and the server.</summary>
public static class ClassNames
{
    /// <summary>The model's class names (<see cref="Model.Classes"/>) when it has them; else class i is called "i" (MNIST's digits are their own names).</summary>
    public static IReadOnlyList<string> Of(Model model, int count) =>
        model.Classes is { } names && names.Count == count ? names
            : Enumerable.Range(0, count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
}
