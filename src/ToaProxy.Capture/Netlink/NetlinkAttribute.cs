namespace ToaProxy.Capture.Netlink;

/// <summary>One attribute (struct nlattr) as a view into a message.</summary>
internal readonly ref struct NetlinkAttribute
{
    private const ushort FlagNested = 0x8000;
    private const ushort FlagNetworkByteOrder = 0x4000;

    public NetlinkAttribute(ushort rawType, ReadOnlySpan<byte> payload)
    {
        RawType = rawType;
        Payload = payload;
    }

    /// <summary>nla_type as sent, flag bits included.</summary>
    public ushort RawType { get; }

    /// <summary>The attribute type without the NLA_F_NESTED and NLA_F_NET_BYTEORDER flag bits.</summary>
    public ushort Type => (ushort)(RawType & ~(FlagNested | FlagNetworkByteOrder));

    /// <summary>True when the payload is itself a list of attributes (read it with a new <see cref="NetlinkAttributeReader"/>).</summary>
    public bool IsNested => (RawType & FlagNested) != 0;

    /// <summary>nla_len − 4 bytes, without the alignment padding.</summary>
    public ReadOnlySpan<byte> Payload { get; }
}
