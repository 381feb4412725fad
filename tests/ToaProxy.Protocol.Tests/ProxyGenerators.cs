using CsCheck;

namespace ToaProxy.Protocol.Tests;

/// <summary>CsCheck generators covering every command, family combination and TLV kind.</summary>
internal static class ProxyGenerators
{
    public static readonly Gen<NetAddress> IPv4 = Gen.OneOf(
        Gen.UInt.Select(NetAddress.FromIPv4),
        Gen.OneOf<NetAddress>(NetAddress.FromIPv4(0), NetAddress.FromIPv4(uint.MaxValue), NetAddress.FromIPv4(0x7F00_0001)));

    /// <summary>Genuine IPv6 (never IPv4-mapped), with zero runs so "::" compression is exercised.</summary>
    public static readonly Gen<NetAddress> IPv6 = Gen.Select(Gen.UShort.Array[8], Gen.Int[0, 8], Gen.Int[0, 8], (groups, zeroStart, zeroLength) =>
    {
        var bytes = new byte[16];
        for (int i = 0; i < 8; i++)
        {
            ushort group = i >= zeroStart && i < zeroStart + zeroLength ? (ushort)0 : groups[i];
            bytes[i * 2] = (byte)(group >> 8);
            bytes[(i * 2) + 1] = (byte)group;
        }

        return NetAddress.FromIPv6(bytes);
    }).Where(a => !a.IsIPv4);

    public static readonly Gen<NetAddress> AnyAddress = Gen.OneOf(IPv4, IPv6);

    /// <summary>LOCAL, UNSPEC, and TCP with v4/v4, v6/v6 and both mixed pairs.</summary>
    public static readonly Gen<ProxyHeader> Header = Gen.Frequency(
        (1, Gen.Const(ProxyHeader.Local)),
        (1, Gen.Const(ProxyHeader.Unknown)),
        (8, Gen.Select(AnyAddress, Gen.UShort, AnyAddress, Gen.UShort, ProxyHeader.Tcp)));

    private static readonly Gen<ProxyV2CustomTlv> Custom = Gen.Select(
        Gen.Byte[ProxyV2Format.CustomTlvTypeFirst, ProxyV2Format.CustomTlvTypeLast],
        Gen.Byte.Array[0, 40],
        (type, value) => new ProxyV2CustomTlv(type, value));

    public static readonly Gen<GeneratedTlvs> Tlvs = Gen.Select(
        Gen.Byte.Array[0, 20],
        Gen.Byte.Array[0, ProxyV2Format.AuthorityMaxLength],
        Gen.Byte.Array[0, ProxyV2Format.UniqueIdMaxLength],
        Custom.Array[0, 4],
        Gen.Int[0, 20].Nullable(),
        Gen.Bool,
        (alpn, authority, uniqueId, custom, noop, crc) => new GeneratedTlvs(alpn, authority, uniqueId, custom, noop, crc));
}
