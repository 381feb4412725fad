using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using ToaProxy.Capture.Flows;
using ToaProxy.Protocol;

namespace ToaProxy.Inspection;

/// <summary>Renders inspected flows as an aligned table (for people) or JSON (for scripts).</summary>
public static class InspectionReport
{
    private static readonly string[] Columns = ["CLIENT (TCP PEER)", "SERVER", "TOA", "REAL CLIENT", "SEEN", "RESULT"];

    public static void WriteTable(TextWriter output, string file, IReadOnlyList<InspectedFlow> flows, int frames, int skipped)
    {
        output.WriteLine($"{file}: {frames} frames, {flows.Count} TCP connections{(skipped > 0 ? $", {skipped} frames not TCP" : string.Empty)}");
        if (flows.Count == 0)
        {
            return;
        }

        var rows = new List<string[]> { Columns };
        rows.AddRange(flows.Select(f => new[]
        {
            Endpoint(f.Key.Peer, f.Key.PeerPort),
            Endpoint(f.Key.Local, f.Key.LocalPort),
            f.Toa is ToaClient t ? $"{t.Kind}/{t.Length}" : "-",
            f.Toa is ToaClient c ? Endpoint(c.Address, c.Port) : "-",
            f.SeenOn.Count > 0 ? string.Join(',', f.SeenOn.Select(RoleName)) : "-",
            f.Reason,
        }));
        int[] widths = [.. Enumerable.Range(0, Columns.Length).Select(i => rows.Max(r => r[i].Length))];
        foreach (string[] row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        }

        output.WriteLine(Summary(flows));
    }

    public static void WriteJson(TextWriter output, string file, IReadOnlyList<InspectedFlow> flows, int frames, int skipped)
    {
        var document = new JsonObject
        {
            ["file"] = file,
            ["frames"] = frames,
            ["skippedFrames"] = skipped,
            ["flows"] = new JsonArray([.. flows.Select(f => (JsonNode)Describe(f))]),
        };
        output.WriteLine(document.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }

    /// <summary>"syn", "ack", "data", "fin": the packet names of the issue and the admin API.</summary>
    public static string RoleName(SegmentRole role) => role.ToString().ToLowerInvariant();

    /// <summary>The status as a stable JSON word.</summary>
    public static string StatusName(FlowToaStatus status) => status switch
    {
        FlowToaStatus.Toa => "toa",
        FlowToaStatus.Untrusted => "untrusted",
        FlowToaStatus.Malformed => "malformed",
        FlowToaStatus.FastOpenCookie => "tfo-cookie",
        _ => "no-option",
    };

    private static JsonObject Describe(InspectedFlow flow)
    {
        var node = new JsonObject
        {
            ["client"] = Endpoint(flow.Key.Peer, flow.Key.PeerPort),
            ["server"] = Endpoint(flow.Key.Local, flow.Key.LocalPort),
            ["firstSeen"] = flow.FirstSeen.ToString("O", CultureInfo.InvariantCulture),
            ["packets"] = flow.Packets,
            ["status"] = StatusName(flow.Status),
            ["reason"] = flow.Reason,
        };
        if (flow.Toa is ToaClient toa)
        {
            node["kind"] = toa.Kind;
            node["length"] = toa.Length;
            node["realClient"] = Endpoint(toa.Address, toa.Port);
            node["seenOn"] = new JsonArray([.. flow.SeenOn.Select(r => (JsonNode)JsonValue.Create(RoleName(r))!)]);
            if (toa.HasVip)
            {
                node["vip"] = Endpoint(toa.Vip, toa.VipPort);
            }

            if (toa.HasVpcId)
            {
                node["vpcId"] = toa.VpcId;
            }
        }

        if (flow.Status == FlowToaStatus.Malformed)
        {
            node["faultKind"] = flow.FaultKind;
            node["faultLength"] = flow.FaultLength;
        }

        return node;
    }

    private static string Summary(IReadOnlyList<InspectedFlow> flows)
    {
        IEnumerable<string> counts = Enum.GetValues<FlowToaStatus>()
            .Select(s => (Status: s, Count: flows.Count(f => f.Status == s)))
            .Where(c => c.Count > 0)
            .Select(c => $"{c.Count} {StatusName(c.Status)}");
        return $"summary: {string.Join(", ", counts)}";
    }

    private static string Endpoint(NetAddress address, ushort port) =>
        address.IsIPv4 ? $"{address}:{port}" : $"[{address}]:{port}";
}
