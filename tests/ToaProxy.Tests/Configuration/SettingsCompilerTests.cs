using System.Net;
using ToaProxy.Configuration;

namespace ToaProxy.Tests.Configuration;

public sealed class SettingsCompilerTests
{
    private static ToaProxyOptions Valid() => new()
    {
        Listeners = [new ListenerOptions { Name = "web", Listen = "127.0.0.1:8080", Upstream = "127.0.0.1:8081" }],
    };

    private static (ProxySettings? Settings, List<string> Errors) Compile(ToaProxyOptions options)
    {
        var errors = new List<string>();
        return (SettingsCompiler.Compile(options, errors), errors);
    }

    [Fact]
    public void Defaults_fill_everything_a_minimal_listener_leaves_out()
    {
        var (settings, errors) = Compile(Valid());

        Assert.Empty(errors);
        ListenerSettings listener = Assert.Single(settings!.Listeners);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8080), listener.Listen);
        Assert.Equal(ProxyProtocolVersion.V2, listener.Protocol);
        Assert.Equal(WithoutToaPolicy.Peer, listener.WithoutToa);
        Assert.Equal(SettingsCompiler.DefaultToaWait, listener.ToaWait);
        Assert.Equal(CaptureBackendKind.AfPacket, settings.Capture.Backend);
        Assert.Equal("any", settings.Capture.Interface);
        Assert.True(settings.Capture.TrustedSources.TrustsEveryone);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9901), settings.AdminEndpoint);
    }

    [Theory]
    [InlineData("127.0.0.1", "ToaProxy:Listeners:0:Upstream: \"127.0.0.1\" has no port")]
    [InlineData("127.0.0.1:0", "ToaProxy:Listeners:0:Upstream: \"127.0.0.1:0\" has port \"0\", not a number from 1 to 65535")]
    [InlineData("::1:80", "ToaProxy:Listeners:0:Upstream: \"::1:80\" looks like an IPv6 address without brackets (write \"[addr]:port\")")]
    [InlineData("127.0.0.1:8080", "ToaProxy:Listeners:0:Upstream: \"127.0.0.1:8080\" is the listener's own address (the proxy would connect to itself)")]
    public void A_bad_upstream_is_reported_with_its_key_and_value(string upstream, string expected)
    {
        ToaProxyOptions options = Valid();
        options.Listeners[0].Upstream = upstream;

        var (settings, errors) = Compile(options);

        Assert.Null(settings);
        Assert.Equal(expected, Assert.Single(errors));
    }

    [Fact]
    public void Every_wrong_value_is_reported_not_just_the_first()
    {
        ToaProxyOptions options = Valid();
        options.Capture.Backend = "ebpf";
        options.Capture.TrustedSources = ["10.0.0.0/33", "not-an-ip"];
        options.Capture.FlowTimeout = "soon";
        options.Listeners[0].Listen = "localhost:8080";
        options.Listeners[0].WithoutToa = "drop";
        options.Listeners[0].Tlvs = ["unique-id", "sha1"];

        var (_, errors) = Compile(options);

        Assert.Contains("ToaProxy:Capture:Backend: \"ebpf\" is not a capture backend (use afpacket, pcap, nfqueue or none)", errors);
        Assert.Contains("ToaProxy:Capture:TrustedSources:0: \"10.0.0.0/33\" has prefix length \"33\", not a number from 0 to 32", errors);
        Assert.Contains("ToaProxy:Capture:TrustedSources:1: \"not-an-ip\" has \"not-an-ip\", which is not an IP address", errors);
        Assert.Contains("ToaProxy:Capture:FlowTimeout: \"soon\" is not a duration (write e.g. 250ms, 5s, 2m, 1h)", errors);
        Assert.Contains("ToaProxy:Listeners:0:Listen: \"localhost:8080\" has host \"localhost\", which is not an IP address (a listener binds an address, not a name)", errors);
        Assert.Contains("ToaProxy:Listeners:0:WithoutToa: \"drop\" is not a policy (use peer, local or reject)", errors);
        Assert.Contains("ToaProxy:Listeners:0:Tlvs:1: \"sha1\" is not a TLV (use unique-id, crc32c or vpc-id)", errors);
        Assert.Equal(7, errors.Count);
    }

    [Fact]
    public void Strip_option_needs_the_nfqueue_backend()
    {
        ToaProxyOptions options = Valid();
        options.Capture.StripOption = true;

        var (_, errors) = Compile(options);

        Assert.StartsWith("ToaProxy:Capture:StripOption: \"true\" needs Backend nfqueue", Assert.Single(errors));
    }

    [Fact]
    public void Duplicate_listener_names_and_endpoints_are_rejected()
    {
        ToaProxyOptions options = Valid();
        options.Listeners.Add(new ListenerOptions { Name = "web", Listen = "127.0.0.1:8080", Upstream = "127.0.0.1:9000" });

        var (_, errors) = Compile(options);

        Assert.Contains("ToaProxy:Listeners:1:Name: \"web\" is already the name of another listener", errors);
        Assert.Contains("ToaProxy:Listeners:1:Listen: \"127.0.0.1:8080\" is already used by listener \"web\"", errors);
    }

    [Fact]
    public void An_option_table_entry_is_checked_against_its_layout()
    {
        ToaProxyOptions options = Valid();
        options.Capture.Options =
        [
            new ToaOptionEntry { Kind = 200, Length = 8, Layout = "client-v4" },
            new ToaOptionEntry { Kind = 253, Length = 8, Layout = "client-v6" },
            new ToaOptionEntry { Kind = 254, Length = 8, Layout = "teleport" },
        ];

        var (_, errors) = Compile(options);

        Assert.Equal(2, errors.Count);
        Assert.StartsWith("ToaProxy:Capture:Options:1: kind 253 length 8 with layout \"client-v6\": ", errors[0]);
        Assert.StartsWith("ToaProxy:Capture:Options:2:Layout: \"teleport\" is not a TOA layout", errors[1]);
    }

    [Fact]
    public void Ipv6_listeners_and_durations_in_operator_units_are_accepted()
    {
        ToaProxyOptions options = Valid();
        options.Listeners[0].Listen = "[::1]:8443";
        options.Listeners[0].Upstream = "backend.internal:8081";
        options.Listeners[0].ToaWait = "150ms";
        options.Listeners[0].IdleTimeout = "2m";
        options.Capture.TrustedSources = ["100.64.0.0/10", "2001:db8::/32"];

        var (settings, errors) = Compile(options);

        Assert.Empty(errors);
        ListenerSettings l = settings!.Listeners[0];
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 8443), l.Listen);
        Assert.Equal("backend.internal", l.Upstream.Host);
        Assert.Equal(TimeSpan.FromMilliseconds(150), l.ToaWait);
        Assert.Equal(TimeSpan.FromMinutes(2), l.IdleTimeout);
        Assert.Equal(2, settings.Capture.TrustedSources.Ranges.Count);
    }

    [Fact]
    public void No_listener_is_an_error()
    {
        var (_, errors) = Compile(new ToaProxyOptions());

        Assert.Equal("ToaProxy:Listeners: no listener is configured (add at least one with Listen and Upstream)", Assert.Single(errors));
    }
}
