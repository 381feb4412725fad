namespace ToaProxy.Capture.Tests.Support;

/// <summary>What a socket filter can read besides packet bytes: skb->protocol and skb->pkt_type.</summary>
public readonly record struct PacketMetadata(ushort EtherType, byte PacketType)
{
    public const byte PacketHost = 0;
    public const byte PacketOutgoing = 4;

    public static PacketMetadata IPv4Host => new(0x0800, PacketHost);

    public static PacketMetadata IPv6Host => new(0x86dd, PacketHost);
}
