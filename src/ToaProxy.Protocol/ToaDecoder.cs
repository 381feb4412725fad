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
    public static ToaScanResult Scan(ReadOnlySpan<byte> tcpOptions, ToaOptionTable table, Span<ToaOption> destination) =>
        Scan(tcpOptions, table, destination, isSyn: true);

    /// <summary>
    /// As <see cref="Scan(ReadOnlySpan{byte}, ToaOptionTable, Span{ToaOption})"/>, for a segment whose
    /// SYN flag is known: a client sends a TFO cookie only on its SYN, so on any other segment a
    /// kind-254 option starting F9 89 is TOA for client port 63881, not a cookie to skip.
    /// </summary>
    public static ToaScanResult Scan(ReadOnlySpan<byte> tcpOptions, ToaOptionTable table, Span<ToaOption> destination, bool isSyn)
    {
        ArgumentNullException.ThrowIfNull(table);
        int count = 0;
        bool found = false;
        var reader = new TcpOptionReader(tcpOptions);
        while (reader.MoveNext())
        {
            TcpOption option = reader.Current;
            if (!table.IsKindEnabled(option.Kind) || (isSyn && TcpFastOpenCookie.Is(option)))
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

    // The table only pairs a layout with the length it has, so each read below is in range.
    // Arguments: kind, length, layout, has client, client, client port, has VIP, VIP, VIP port, has VPC id, VPC id.
    private static bool TryDecode(TcpOption option, ToaLayout layout, out ToaOption decoded)
    {
        ReadOnlySpan<byte> data = option.Data;
        byte kind = option.Kind;
        byte length = option.Length;
        NetAddress none = NetAddress.None;
        decoded = layout switch
        {
            ToaLayout.ClientV4 => new(kind, length, layout, true, V4(data, 2), Port(data, 0), false, none, 0, false, 0),
            ToaLayout.ClientV6 => new(kind, length, layout, true, V6(data, 2), Port(data, 0), false, none, 0, false, 0),
            ToaLayout.ClientV4WithVip => new(kind, length, layout, true, V4(data, 2), Port(data, 0), true, V4(data, 10), Port(data, 8), false, 0),
            ToaLayout.VipV4 => new(kind, length, layout, false, none, 0, true, V4(data, 2), Port(data, 0), false, 0),
            ToaLayout.VpcId => new(kind, length, layout, false, none, 0, false, none, 0, true, BinaryPrimitives.ReadUInt32BigEndian(data)),
            ToaLayout.ClientV4VpcVip => new(
                kind, length, layout, true, V4(data, 2), Port(data, 0), true, V4(data, 10), Port(data, 14),
                true, BinaryPrimitives.ReadUInt32BigEndian(data[6..])),
            ToaLayout.ClientV6VpcVip => new(
                kind, length, layout, true, V6(data, 2), Port(data, 0), true, V6(data, 22), 0,
                true, (uint)((data[18] << 16) | (data[19] << 8) | data[20])),
            ToaLayout.CdnClient => new(
                kind, length, layout, true, data.Length == 5 ? V4(data, 1) : V6(data, 1), 0, false, none, 0, false, 0),
            _ => throw UnknownLayout(layout),
        };
        return IsPlausible(decoded, data);
    }

    private static bool IsPlausible(in ToaOption option, ReadOnlySpan<byte> data) => option.Layout switch
    {
        ToaLayout.CdnClient => data[0] == CdnVersion && IsSpecified(option.Client),

        // 249/40 carries no VIP port.
        ToaLayout.ClientV6VpcVip => IsSpecified(option.Client) && option.ClientPort != 0 && IsSpecified(option.Vip),
        _ => (!option.HasClient || (IsSpecified(option.Client) && option.ClientPort != 0))
            && (!option.HasVip || (IsSpecified(option.Vip) && option.VipPort != 0)),
    };

    // Out of line: building the message in TryDecode would cost every call a string-builder frame.
    private static UnreachableException UnknownLayout(ToaLayout layout) =>
        new($"ToaOptionTable admitted unknown layout {layout}.");

    private static ushort Port(ReadOnlySpan<byte> data, int offset) => BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);

    private static NetAddress V4(ReadOnlySpan<byte> data, int offset) => NetAddress.FromIPv4(data.Slice(offset, 4));

    private static NetAddress V6(ReadOnlySpan<byte> data, int offset) => NetAddress.FromIPv6(data.Slice(offset, 16));

    private static bool IsSpecified(NetAddress address) =>
        address != NetAddress.None && !(address.IsIPv4 && address.IPv4Value == 0);
}
