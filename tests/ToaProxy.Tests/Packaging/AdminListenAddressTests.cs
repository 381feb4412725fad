using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using ToaProxy.Testing;
using ToaProxy.Tests.EndToEnd;

namespace ToaProxy.Tests.Packaging;

/// <summary>
/// The admin endpoint (flows with every client address, counters) answers only on loopback unless the
/// config says otherwise. Checked on the listening sockets the kernel reports for the running process,
/// run as nobody with no capability at all (capture off), in a namespace of its own so the default port
/// 9901 is free whatever else runs on the machine.
/// </summary>
public sealed class AdminListenAddressTests
{
    private const int DefaultAdminPort = 9901;
    private const string TcpListen = "0A";

    [SkippableTheory]
    [InlineData(null, "127.0.0.1")]
    [InlineData("0.0.0.0:9901", "0.0.0.0")]
    public void The_admin_endpoint_listens_on_loopback_unless_configured_otherwise(string? configured, string expectedAddress)
    {
        string setpriv = Requires.Command("setpriv");
        using var netns = NetworkNamespace.Create();
        JsonObject config = ProxyConfig.Create(FreePort.Allocate(), 1);
        config.Remove("Admin");
        if (configured is not null)
        {
            config["Admin"] = new JsonObject { ["Listen"] = configured };
        }

        string[] launcher = [.. netns.Launcher, setpriv, "--reuid=nobody", "--regid=nogroup", "--init-groups", "--bounding-set=-all", "--inh-caps=-all"];
        using var proxy = ToaproxyProcess.StartUnder(launcher, PublishedToaproxy.ExecutablePath, config);

        IReadOnlyList<IPAddress>? admin = Poll.Until(() => ListeningAddresses(proxy.Process.Id, DefaultAdminPort) is { Count: > 0 } found ? found : null, TimeSpan.FromSeconds(15));
        Assert.True(admin is not null, $"nothing listens on port {DefaultAdminPort}\n{proxy.Describe()}");
        Assert.Equal([IPAddress.Parse(expectedAddress)], admin);
        Assert.Equal((65534, 0UL), ProcessCredentials.Read(proxy.Process.Id));
    }

    /// <summary>Addresses with a socket in LISTEN on <paramref name="port"/>, from /proc/PID/net/tcp (the process's own namespace).</summary>
    private static List<IPAddress> ListeningAddresses(int pid, int port) =>
    [
        .. File.ReadLines($"/proc/{pid}/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f[3] == TcpListen && int.Parse(f[1][9..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
            .Select(f => new IPAddress(uint.Parse(f[1][..8], NumberStyles.HexNumber, CultureInfo.InvariantCulture))),
    ];
}
