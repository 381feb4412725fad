using System.Net;
using ToaProxy.Admin;
using ToaProxy.Capture.Flows;
using ToaProxy.Protocol;

namespace ToaProxy.Tests.Admin;

/// <summary>GET /flows paging: bounded pages, and a cursor walk that yields every flow exactly once.</summary>
public sealed class FlowPageReaderTests
{
    private const int FlowCount = 2500;

    private static FlowTable FilledTable()
    {
        var table = new FlowTable(new FlowTableOptions { MaxFlows = 10_000, FlowTimeout = TimeSpan.FromMinutes(5) }, new CaptureCounters());
        NetAddress lb = NetAddress.FromIPAddress(IPAddress.Parse("10.0.0.7"));
        NetAddress local = NetAddress.FromIPAddress(IPAddress.Parse("10.0.0.1"));
        for (int i = 0; i < FlowCount; i++)
        {
            var key = new FlowKey(lb, (ushort)(10_000 + i), local, 8080);
            bool hasClient = i % 2 == 0;
            var client = new ToaClient(NetAddress.FromIPAddress(IPAddress.Parse("203.0.113.9")), (ushort)(20_000 + i), 254, 8, false, default, 0, false, 0);
            table.Observe(key, SegmentRole.Syn, hasClient, hasClient ? client : default);
        }

        return table;
    }

    private static List<FlowRow> WalkAllPages(FlowTable table, int limit, out int pages)
    {
        var rows = new List<FlowRow>();
        pages = 0;
        int? cursor = 0;
        while (cursor is int at)
        {
            FlowPage page = FlowPageReader.Read(table, at, limit);
            Assert.True(page.Flows.Count <= Math.Min(limit, FlowPageReader.MaxLimit));
            Assert.Equal(FlowCount, page.Total);
            rows.AddRange(page.Flows);
            cursor = page.NextCursor;
            pages++;
        }

        return rows;
    }

    [Theory]
    [InlineData(FlowPageReader.DefaultLimit, 25)]
    [InlineData(FlowPageReader.MaxLimit, 3)]
    [InlineData(7, 358)]
    public void Every_page_together_gives_every_flow_exactly_once(int limit, int expectedPages)
    {
        FlowTable table = FilledTable();

        List<FlowRow> rows = WalkAllPages(table, limit, out int pages);

        Assert.Equal(FlowCount, rows.Count);
        Assert.Equal(FlowCount, rows.Select(r => r.Peer).Distinct().Count());
        Assert.Equal(expectedPages, pages);
    }

    [Fact]
    public void A_page_is_never_larger_than_the_maximum_however_much_is_asked()
    {
        FlowPage page = FlowPageReader.Read(FilledTable(), 0, 1_000_000);

        Assert.Equal(FlowPageReader.MaxLimit, page.Flows.Count);
        Assert.NotNull(page.NextCursor);
    }

    [Fact]
    public void A_row_shows_the_key_the_real_client_its_option_and_where_it_was_seen()
    {
        FlowPage page = FlowPageReader.Read(FilledTable(), 0, 2);

        FlowRow withToa = page.Flows[0];
        Assert.Equal("10.0.0.7:10000", withToa.Peer);
        Assert.Equal("10.0.0.1:8080", withToa.Local);
        Assert.Equal("203.0.113.9:20000", withToa.Client);
        Assert.Equal(254, withToa.Kind);
        Assert.Equal(8, withToa.Length);
        Assert.Equal("syn", withToa.SeenOn);
        Assert.Equal("has-toa", withToa.State);

        FlowRow without = page.Flows[1];
        Assert.Null(without.Client);
        Assert.Null(without.Kind);
        Assert.Equal("pending", without.State);
    }

    [Theory]
    [InlineData(null, null, true, 0, FlowPageReader.DefaultLimit)]
    [InlineData("1200", "1000", true, 1200, 1000)]
    [InlineData("-1", null, false, 0, 0)]
    [InlineData("x", null, false, 0, 0)]
    [InlineData(null, "0", false, 0, 0)]
    [InlineData(null, "1001", false, 0, 0)]
    public void The_query_takes_a_cursor_and_a_bounded_limit(string? cursor, string? limit, bool valid, int expectedCursor, int expectedLimit)
    {
        bool parsed = FlowPageReader.TryParseQuery(cursor, limit, out int c, out int l, out string error);

        Assert.Equal(valid, parsed);
        if (valid)
        {
            Assert.Equal((expectedCursor, expectedLimit), (c, l));
        }
        else
        {
            Assert.NotEmpty(error);
        }
    }
}
