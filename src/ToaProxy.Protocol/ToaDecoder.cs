using System.Buffers.Binary;
using System.Diagnostics;

namespace ToaProxy.Protocol;

/// <summary>
/// Decodes the TOA-family options of one TCP options area, dispatching on (kind, length) through a
/// <see cref="ToaOptionTable"/>. Allocation-free and exception-free on any input.
/// </summary>
public static class ToaDecoder
{
    private const byte CdnVersion = 1;

    /// <summary>
    /// Writes every TOA option of <paramref name="tcpOptions"/> (e.g. a client option and a VIP
    /// option), in packet order, to <paramref name="destination"/> until it is full; options beyond
    /// its length are still checked but not written, so Count is at most destination.Length.
    /// The scan stops at the first fault and reports Malformed with that option's kind and length,
    /// keeping the options decoded before it. Faults: a malformed option walk; an enabled kind with a
    /// length no layout is configured for (never guessed); a CDN option whose version is not 1; and
    /// an unspecified address (0.0.0.0, ::) or port 0 in any address the option carries, because
    /// handing a backend a wrong client address is worse than handing it none.
    /// A kind-254 option starting F9 89 is a TCP Fast Open cookie and is skipped, not a fault.
    /// </summary>
    public static ToaScanResult Scan(ReadOnlySpan<byte> tcpOptions, ToaOptionTable table, Span<ToaOption> destination)
    {
        ArgumentNullException.ThrowIfNull(table);
        int count = 0;
        bool found = false;
        var reader = new TcpOptionReader(tcpOptions);
        while (reader.MoveNext())
        {
            TcpOption option = reader.Current;
            if (!table.IsKindEnabled(option.Kind) || TcpFastOpenCookie.Is(option))
            {
                continue;
            }

            if (!table.TryGetLayout(option.Kind, option.Length, out ToaLayout layout)
                || !TryDecode(option, layout, out ToaOption decoded))
            {
                return new ToaScanResult(ToaScanStatus.Malformed, count, option.Kind, option.Length);
            }

            found = true;
            if (count < destination.Length)
            {
                destination[count++] = decoded;
            }
        }

        if (reader.IsMalformed)
        {
            return new ToaScanResult(ToaScanStatus.Malformed, count, reader.FaultKind, reader.FaultLength);
        }

        return found ? new ToaScanResult(ToaScanStatus.Found, count, 0, 0) : ToaScanResult.None;
    }

    // The table only pairs a layout with the length it has, so each slice below is in range.
    private static bool TryDecode(TcpOption option, ToaLayout layout, out ToaOption decoded)
    {
        ReadOnlySpan<byte> data = option.Data;
        decoded = layout switch
        {
            ToaLayout.ClientV4 => Client(option, layout, Port(data), NetAddress.FromIPv4(data.Slice(2, 4))),
            ToaLayout.ClientV6 => Client(option, layout, Port(data), NetAddress.FromIPv6(data.Slice(2, 16))),
            ToaLayout.ClientV4WithVip => Client(option, layout, Port(data), NetAddress.FromIPv4(data.Slice(2, 4))) with
            {
                HasVip = true,
                VipPort = Port(data[8..]),
                Vip = NetAddress.FromIPv4(data.Slice(10, 4)),
            },
            ToaLayout.VipV4 => Empty(option, layout) with
            {
                HasVip = true,
                VipPort = Port(data),
                Vip = NetAddress.FromIPv4(data.Slice(2, 4)),
            },
            ToaLayout.VpcId => Empty(option, layout) with
            {
                HasVpcId = true,
                VpcId = BinaryPrimitives.ReadUInt32BigEndian(data),
            },
            ToaLayout.ClientV4VpcVip => Client(option, layout, Port(data), NetAddress.FromIPv4(data.Slice(2, 4))) with
            {
                HasVpcId = true,
                VpcId = BinaryPrimitives.ReadUInt32BigEndian(data[6..]),
                HasVip = true,
                Vip = NetAddress.FromIPv4(data.Slice(10, 4)),
                VipPort = Port(data[14..]),
            },
            ToaLayout.ClientV6VpcVip => Client(option, layout, Port(data), NetAddress.FromIPv6(data.Slice(2, 16))) with
            {
                HasVpcId = true,
                VpcId = (uint)((data[18] << 16) | (data[19] << 8) | data[20]),
                HasVip = true,
                Vip = NetAddress.FromIPv6(data.Slice(22, 16)),
            },
            ToaLayout.CdnClient => Client(
                option, layout, 0,
                data.Length == 5 ? NetAddress.FromIPv4(data.Slice(1, 4)) : NetAddress.FromIPv6(data.Slice(1, 16))),
            _ => throw new UnreachableException($"ToaOptionTable admitted unknown layout {layout}."),
        };
        return IsPlausible(decoded, data);
    }

    private static bool IsPlausible(ToaOption option, ReadOnlySpan<byte> data) => option.Layout switch
    {
        ToaLayout.CdnClient => data[0] == CdnVersion && IsSpecified(option.Client),

        // 249/40 carries no VIP port.
        ToaLayout.ClientV6VpcVip => IsSpecified(option.Client) && option.ClientPort != 0 && IsSpecified(option.Vip),
        _ => (!option.HasClient || (IsSpecified(option.Client) && option.ClientPort != 0))
            && (!option.HasVip || (IsSpecified(option.Vip) && option.VipPort != 0)),
    };

    private static ushort Port(ReadOnlySpan<byte> data) => BinaryPrimitives.ReadUInt16BigEndian(data);

    private static ToaOption Empty(TcpOption option, ToaLayout layout) =>
        new(option.Kind, option.Length, layout, false, NetAddress.None, 0, false, NetAddress.None, 0, false, 0);

    private static ToaOption Client(TcpOption option, ToaLayout layout, ushort port, NetAddress client) =>
        new(option.Kind, option.Length, layout, true, client, port, false, NetAddress.None, 0, false, 0);

    private static bool IsSpecified(NetAddress address) =>
        address != NetAddress.None && !(address.IsIPv4 && address.IPv4Value == 0);
}
