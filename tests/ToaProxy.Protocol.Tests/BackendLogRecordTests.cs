using System.Net;
using ToaProxy.Testing;

namespace ToaProxy.Protocol.Tests;

public class BackendLogRecordTests
{
    [Theory]
    [InlineData("pp client=192.0.2.1:54321 server=198.51.100.7:443 status=200", "192.0.2.1", 54321, "198.51.100.7", 443)]
    [InlineData("pp client=2001:db8::1:40000 server=::ffff:198.51.100.7:443 uid=- authority=-", "2001:db8::1", 40000, "::ffff:198.51.100.7", 443)]
    [InlineData("<134>Nov 25 09:00:00 haproxy[1]: pp client=[::1]:1 server=[::1]:2", "::1", 1, "::1", 2)]
    public void Parses_endpoints_as_nginx_and_HAProxy_log_them(string line, string client, int clientPort, string server, int serverPort)
    {
        BackendLogRecord? record = BackendLogRecord.TryParse(line);
        Assert.NotNull(record);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(client), clientPort), record.Client);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(server), serverPort), record.Server);
    }

    [Fact]
    public void Missing_values_give_null_endpoints_and_other_lines_no_record()
    {
        BackendLogRecord? record = BackendLogRecord.TryParse("pp client=-:- server=:: status=400");
        Assert.NotNull(record);
        Assert.Null(record.Client);
        Assert.Null(record.Server);
        Assert.Equal("400", record.Field("status"));
        Assert.Null(record.Field("uid"));
        Assert.Null(BackendLogRecord.TryParse("[NOTICE] (1) : haproxy version is 2.6.12"));
    }
}
