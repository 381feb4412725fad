using System.Globalization;
using System.Text;

namespace ToaProxy.Admin;

/// <summary>Flow rows as aligned text, like /proc/net/toa_table (GET /flows?format=text and `toaproxy flows`).</summary>
public static class FlowsText
{
    public static TextTable Table(IEnumerable<FlowRow> flows)
    {
        var table = new TextTable("peer", "local", "client", "kind", "len", "seen", "age_s", "state");
        foreach (FlowRow flow in flows)
        {
            table.Add(
                flow.Peer,
                flow.Local,
                flow.Client ?? "-",
                flow.Kind?.ToString(CultureInfo.InvariantCulture) ?? "-",
                flow.Length?.ToString(CultureInfo.InvariantCulture) ?? "-",
                flow.SeenOn ?? "-",
                flow.AgeSeconds.ToString("0.000", CultureInfo.InvariantCulture),
                flow.State);
        }

        return table;
    }

    /// <summary>One page with a closing line saying how to get the next one.</summary>
    public static string Format(FlowPage page)
    {
        var output = new StringBuilder();
        Table(page.Flows).WriteTo(output);
        output.Append(CultureInfo.InvariantCulture, $"# {page.Flows.Count} of {page.Total} flows; ");
        output.Append(page.NextCursor is int next ? $"next page: ?cursor={next}\n" : "end of table\n");
        return output.ToString();
    }
}
