using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ToaProxy.Capture.Emulation;
using ToaProxy.Configuration;
using ToaProxy.Protocol;

namespace ToaProxy.Emulation;

/// <summary>
/// The option <c>toaproxy emulate</c> inserts: a TOA kind (200, 254, 253 or 254v6) and a client that
/// is either fixed (--client) or derived per connection from its source port, in documentation
/// ranges (203.0.113.0/24, 2001:db8:64::/96), so connections can be told apart.
/// </summary>
internal sealed class EmulatedToaOption
{
    private readonly IPAddress? _fixedAddress;
    private readonly int? _fixedPort;

    private EmulatedToaOption(byte kind, bool ipv6Layout, IPAddress? fixedAddress, int? fixedPort)
    {
        Kind = kind;
        IsIPv6Layout = ipv6Layout;
        _fixedAddress = fixedAddress;
        _fixedPort = fixedPort;
    }

    public byte Kind { get; }

    /// <summary>Length 20 (port + IPv6) rather than 8 (port + IPv4).</summary>
    public bool IsIPv6Layout { get; }

    public byte Length => IsIPv6Layout ? (byte)20 : (byte)8;

    /// <summary>"client 198.51.100.7" or "client derived per connection from its source port".</summary>
    public string ClientDescription => _fixedAddress is null
        ? "client derived per connection from its source port"
        : _fixedPort is int port ? $"client {new IPEndPoint(_fixedAddress, port)}"
        : $"client {_fixedAddress} (port = the connection's source port)";

    public static EmulatedToaOption? TryCreate(string kindText, string? clientText, out string error)
    {
        (byte kind, bool ipv6)? layout = kindText.Trim().ToLowerInvariant() switch
        {
            "200" => (200, false),
            "254" => (254, false),
            "253" => (253, true),
            "254v6" => (254, true),
            _ => null,
        };
        if (layout is not (byte kind, bool ipv6))
        {
            error = $"--kind \"{kindText}\" is not one of 200, 254, 253, 254v6";
            return null;
        }

        IPAddress? address = null;
        int? port = null;
        if (clientText is not null)
        {
            // ADDRESS:PORT first: IPAddress.TryParse would accept "[::1]:80" and silently drop the port.
            if (HostPort.TryParse(clientText, out HostPort hostPort, out _) && hostPort.Address is IPAddress withPort)
            {
                address = withPort;
                port = hostPort.Port;
            }
            else if (IPAddress.TryParse(clientText, out IPAddress? bare))
            {
                address = bare;
            }
            else
            {
                error = $"--client \"{clientText}\" is not ADDRESS or ADDRESS:PORT ([IPv6]:PORT)";
                return null;
            }

            if (!ipv6 && address.AddressFamily != AddressFamily.InterNetwork)
            {
                error = $"--client {address} is IPv6, but kind {kind} length 8 carries IPv4; use --kind 253 or 254v6";
                return null;
            }
        }

        error = string.Empty;
        return new EmulatedToaOption(kind, ipv6, address, port);
    }

    /// <summary>The client announced for a connection from <paramref name="sourcePort"/>.</summary>
    public (IPAddress Address, int Port) ClientFor(int sourcePort) =>
        (_fixedAddress ?? DerivedAddress(sourcePort), _fixedPort ?? sourcePort);

    /// <summary>The injector's writer; <paramref name="onWrite"/> is told each connection and client it writes.</summary>
    public TcpOptionWriter CreateWriter(Action<FlowKey, IPAddress, int> onWrite)
    {
        ToaClientSelector selector = (in FlowKey flow) =>
        {
            (IPAddress address, int port) = ClientFor(flow.PeerPort);
            onWrite(flow, address, port);
            return (NetAddress.FromIPAddress(address), (ushort)port);
        };
        return IsIPv6Layout ? ToaOptionWriters.ClientV6(Kind, selector) : ToaOptionWriters.ClientV4(Kind, selector);
    }

    private IPAddress DerivedAddress(int sourcePort) => IsIPv6Layout
        ? IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"2001:db8:64::{sourcePort:x}"))
        : new IPAddress([203, 0, 113, (byte)(1 + (sourcePort % 250))]);
}
