namespace ToaProxy.Capture.Flows;

public enum FlowState : byte
{
    /// <summary>Packets seen, no TOA (yet).</summary>
    Pending,
    /// <summary>A trusted TOA was recorded and not yet taken by the relay.</summary>
    HasToa,
    /// <summary>The relay has taken this record; it stays only to absorb repeats of the option on later data.</summary>
    Taken,
}
