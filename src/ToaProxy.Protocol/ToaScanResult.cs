namespace ToaProxy.Protocol;

/// <summary>Outcome of scanning one options area: how many options were written to the caller's
/// span, and, when malformed, the kind and length at fault (for counters and logs).</summary>
public readonly record struct ToaScanResult(ToaScanStatus Status, int Count, byte FaultKind, byte FaultLength)
{
    public static ToaScanResult None => new(ToaScanStatus.None, 0, 0, 0);
}
