using ToaProxy.Capture.Flows;
using ToaProxy.Protocol;

namespace ToaProxy.Admin;

/// <summary>
/// Reads one page of the flow table for /flows. The page size is capped so one request holds the
/// table's lock for at most <see cref="MaxLimit"/> rows: a 250,000-flow table is read page by page
/// with the cursor and never stalls the capture or the relay.
/// </summary>
public static class FlowPageReader
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static FlowPage Read(FlowTable table, int cursor, int limit)
    {
        var rows = new List<FlowEntrySnapshot>(Math.Clamp(limit, 1, MaxLimit));
        int next = table.Snapshot(Math.Max(cursor, 0), Math.Clamp(limit, 1, MaxLimit), rows);
        return new FlowPage([.. rows.Select(ToRow)], next < 0 ? null : next, table.Count);
    }

    /// <summary>Parses ?cursor= and ?limit=; null values take the defaults. False with a message on bad input.</summary>
    public static bool TryParseQuery(string? cursorText, string? limitText, out int cursor, out int limit, out string error)
    {
        cursor = 0;
        limit = DefaultLimit;
        error = string.Empty;
        if (cursorText is not null && (!int.TryParse(cursorText, out cursor) || cursor < 0))
        {
            error = $"cursor \"{cursorText}\" is not a cursor from a previous page (a number >= 0)";
            return false;
        }

        if (limitText is not null && (!int.TryParse(limitText, out limit) || limit < 1 || limit > MaxLimit))
        {
            error = $"limit \"{limitText}\" must be a number from 1 to {MaxLimit}";
            return false;
        }

        return true;
    }

    private static FlowRow ToRow(FlowEntrySnapshot flow)
    {
        ToaClient c = flow.Client;
        return new FlowRow(
            Endpoint(flow.Key.Peer, flow.Key.PeerPort),
            Endpoint(flow.Key.Local, flow.Key.LocalPort),
            flow.HasClient ? Endpoint(c.Address, c.Port) : null,
            flow.HasClient ? c.Kind : null,
            flow.HasClient ? c.Length : null,
            flow.HasClient && c.HasVip ? Endpoint(c.Vip, c.VipPort) : null,
            flow.HasClient && c.HasVpcId ? c.VpcId : null,
            flow.HasClient ? flow.SeenOn.ToString().ToLowerInvariant() : null,
            Math.Round(flow.Age.TotalSeconds, 3),
            flow.State switch
            {
                FlowState.HasToa => "has-toa",
                FlowState.Taken => "taken",
                _ => "pending",
            });
    }

    private static string Endpoint(NetAddress address, ushort port) =>
        address.IsIPv4 ? $"{address}:{port}" : $"[{address}]:{port}";
}
