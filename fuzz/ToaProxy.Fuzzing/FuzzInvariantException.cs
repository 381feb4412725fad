namespace ToaProxy.Fuzzing;

/// <summary>
/// A parser returned without throwing but broke one of its documented promises; thrown so the fuzzer
/// records the input as a crash just like an exception escaping the parser.
/// </summary>
public sealed class FuzzInvariantException(string message) : Exception(message);
