namespace Jimu.Kernels;

/// <summary>
/// One piece of parallel work for <see cref="ComputeContext.For{TJob}"/>: a struct that holds the call's operands
/// (spans as arrays or pointers, sizes) and runs item <c>index</c> of <c>count</c>. Items must be independent.
/// The <c>lane</c> of <see cref="Run"/> is the context of the thread running the item: one thread, its own
/// <see cref="Workspace"/>; a kernel called from inside an item takes it and runs on that thread alone.
/// </summary>
internal interface IParallelJob
{
    /// <summary>Runs item <paramref name="index"/>, on the thread whose one-thread context is <paramref name="lane"/>.</summary>
    void Run(int index, ComputeContext lane);
}
