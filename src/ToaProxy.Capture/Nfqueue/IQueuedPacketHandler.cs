namespace ToaProxy.Capture.Nfqueue;

/// <summary>Sees each queued packet before its verdict is sent.</summary>
internal interface IQueuedPacketHandler
{
    /// <summary>
    /// The packet is <paramref name="buffer"/>[..<paramref name="length"/>]. When
    /// <paramref name="mayRewrite"/> is true the buffer has spare room after the packet and the
    /// handler may rewrite (and grow) it. Returns the rewritten packet's length, or -1 to accept the
    /// packet unchanged.
    /// </summary>
    int OnQueuedPacket(Span<byte> buffer, int length, bool mayRewrite);
}
