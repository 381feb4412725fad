using ToaProxy.Configuration;

namespace ToaProxy.Tests.Configuration;

public sealed class TransparentSettingsTests
{
    private static ToaProxyOptions Transparent(string upstream) => new()
    {
        Listeners = [new ListenerOptions { Name = "db", Listen = "0.0.0.0:3306", Upstream = upstream, Protocol = "transparent" }],
    };

    private static (ProxySettings? Settings, List<string> Errors) Compile(ToaProxyOptions options)
    {
        var errors = new List<string>();
        return (SettingsCompiler.Compile(options, errors), errors);
    }

    [Fact]
    public void A_transparent_listener_compiles_with_the_default_routing()
    {
        var (settings, errors) = Compile(Transparent("10.0.0.5:3306"));

        Assert.Empty(errors);
        Assert.Equal(ProxyProtocolVersion.Transparent, Assert.Single(settings!.Listeners).Protocol);
        Assert.True(settings.HasTransparentListener);
        Assert.Equal(TransparentSettings.Default, settings.Transparent);
    }

    [Theory]
    [InlineData("db.internal:3306", "ToaProxy:Listeners:0:Upstream: \"db.internal:3306\" is a name; a transparent listener needs the backend's IP address (the client's family must match it)")]
    [InlineData("127.0.0.1:3307", "ToaProxy:Listeners:0:Upstream: \"127.0.0.1:3307\" is a loopback address; a transparent backend must listen on a routable address (e.g. the host's own)")]
    [InlineData("[::1]:3307", "ToaProxy:Listeners:0:Upstream: \"[::1]:3307\" is a loopback address; a transparent backend must listen on a routable address (e.g. the host's own)")]
    public void A_transparent_upstream_must_be_a_routable_ip_address(string upstream, string expected)
    {
        var (settings, errors) = Compile(Transparent(upstream));

        Assert.Null(settings);
        Assert.Equal(expected, Assert.Single(errors));
    }

    [Fact]
    public void Tlvs_and_wrong_routing_values_are_reported_with_their_keys()
    {
        ToaProxyOptions options = Transparent("10.0.0.5:3306");
        options.Listeners[0].Tlvs = ["unique-id"];
        options.Transparent = new TransparentOptions { SocketMark = 7, ReplyMark = 7, Table = 254, RulePriority = 32766 };

        var (settings, errors) = Compile(options);

        Assert.Null(settings);
        Assert.Equal(
            [
                "ToaProxy:Listeners:0:Tlvs: a transparent listener sends no PROXY header, so no TLVs; remove them",
                "ToaProxy:Transparent:ReplyMark: \"7\" equals SocketMark; they must differ",
                "ToaProxy:Transparent:Table: \"254\" is not a free routing table id (1 to 2147483647, not 253-255: default, main, local)",
                "ToaProxy:Transparent:RulePriority: \"32766\" must be from 1 to 32765 (before the main table's rule at 32766)",
            ],
            errors);
    }

    [Fact]
    public void An_unknown_protocol_names_transparent_among_the_choices()
    {
        ToaProxyOptions options = Transparent("10.0.0.5:3306");
        options.Listeners[0].Protocol = "tproxy";

        var (_, errors) = Compile(options);

        Assert.Equal("ToaProxy:Listeners:0:Protocol: \"tproxy\" is not a protocol (use proxy-v2, proxy-v1, http or transparent)", Assert.Single(errors));
    }
}
