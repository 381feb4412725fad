namespace ToaProxy.Capture.Tests.Integration;

/// <summary>
/// Tests that measure the process (GC heap size, allocations) or the kernel under load: xunit runs
/// this collection alone, after the parallel ones, so other tests neither skew nor suffer from it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasurementCollection
{
    public const string Name = "capture measurements";
}
