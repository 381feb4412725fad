using System.Buffers.Binary;
using ToaProxy.Protocol;

namespace ToaProxy.Capture.Emulation;

/// <summary>The TOA layouts load balancers send (see shared/notes/toa-formats.md), plus raw bytes for malformed cases.</summary>
public static class ToaOptionWriters
{
    private const int V4Length = 8;
    private const int V6Length = 20;

    /// <summary>Kind 200, length 8: port, IPv4 (LVS FULLNAT, Tencent, UCloud).</summary>
    public static TcpOptionWriter Kind200V4(ToaClientSelector client) => ClientV4(200, client);

    /// <summary>Kind 254, length 8: port, IPv4 (Alibaba, Huawei, DPVS).</summary>
    public static TcpOptionWriter Kind254V4(ToaClientSelector client) => ClientV4(254, client);

    /// <summary>Kind 254, length 20: port, IPv6 (DPVS, ByteDance).</summary>
    public static TcpOptionWriter Kind254V6(ToaClientSelector client) => ClientV6(254, client);

    /// <summary>Kind 253, length 20: port, IPv6 (Tencent CLB NAT64, Alibaba).</summary>
    public static TcpOptionWriter Kind253V6(ToaClientSelector client) => ClientV6(253, client);

    /// <summary>kind, 8, port, IPv4. The selected address must be IPv4.</summary>
    public static TcpOptionWriter ClientV4(byte kind, ToaClientSelector client) => (in FlowKey flow, Span<byte> option) =>
    {
        (NetAddress address, ushort port) = client(flow);
        if (!address.IsIPv4)
        {
            throw new InvalidOperationException($"A {kind}/{V4Length} option needs an IPv4 client, not {address}.");
        }

        WriteHeader(option, kind, V4Length, port);
        address.WriteBytes(option[4..]);
        return V4Length;
    };

    /// <summary>kind, 20, port, IPv6 (an IPv4 client is written in its ::ffff: mapped form).</summary>
    public static TcpOptionWriter ClientV6(byte kind, ToaClientSelector client) => (in FlowKey flow, Span<byte> option) =>
    {
        (NetAddress address, ushort port) = client(flow);
        WriteHeader(option, kind, V6Length, port);
        address.WriteIPv6Bytes(option[4..]);
        return V6Length;
    };

    /// <summary>These exact bytes on every packet, however malformed (a wrong length byte, a truncated address...).</summary>
    public static TcpOptionWriter Raw(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty || bytes.Length > TcpOptionInserter.MaxOptionSpace)
        {
            throw new ArgumentException($"A TCP option is 1 to {TcpOptionInserter.MaxOptionSpace} bytes, not {bytes.Length}.", nameof(bytes));
        }

        byte[] copy = bytes.ToArray();
        return (in FlowKey _, Span<byte> option) =>
        {
            copy.CopyTo(option);
            return copy.Length;
        };
    }

    private static void WriteHeader(Span<byte> option, byte kind, byte length, ushort port)
    {
        option[0] = kind;
        option[1] = length;
        BinaryPrimitives.WriteUInt16BigEndian(option[2..], port);
    }
}
