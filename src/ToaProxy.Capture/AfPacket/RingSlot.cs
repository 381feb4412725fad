namespace ToaProxy.Capture.AfPacket;

/// <summary>The state of a <see cref="PacketRing"/>'s next slot.</summary>
internal enum RingSlot
{
    /// <summary>Nothing more has been written: every packet the kernel passed on so far has been read.</summary>
    Empty,

    /// <summary>A packet is ready in the slot.</summary>
    Ready,

    /// <summary>The kernel is still writing this slot while a later one is ready: wait for it.</summary>
    Filling,
}
