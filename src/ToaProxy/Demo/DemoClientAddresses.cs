using System.Collections.Concurrent;
using System.Net;
using ToaProxy.Capture.Emulation;
using ToaProxy.Protocol;

namespace ToaProxy.Demo;

/// <summary>
/// What the demo's emulated load balancer announces, by connection number in turn: a Tencent-style
/// kind 200 IPv4 client, an Alibaba/DPVS-style kind 254 IPv4 client, or a NAT64 kind 253 IPv6 client,
/// all from documentation ranges, so one run shows every common layout. The demo client binds its port
/// first and assigns it a turn, since ephemeral ports advance in steps that would repeat one layout.
/// </summary>
internal sealed class DemoClientAddresses
{
    private readonly ConcurrentDictionary<int, int> _turnByPort = new();

    public DemoClientAddresses() => Writer = Choose;

    public TcpOptionWriter Writer { get; }

    public void Assign(int sourcePort, int connectionNumber) => _turnByPort[sourcePort] = connectionNumber;

    public (byte Kind, IPAddress Address) For(int sourcePort) => (_turnByPort.GetValueOrDefault(sourcePort, sourcePort) % 3) switch
    {
        0 => (200, new IPAddress([203, 0, 113, (byte)(1 + (sourcePort % 250))])),
        1 => (254, new IPAddress([198, 51, 100, (byte)(1 + (sourcePort % 250))])),
        _ => (253, IPAddress.Parse($"2001:db8:64::{sourcePort:x}")),
    };

    private int Choose(in FlowKey flow, Span<byte> option)
    {
        ushort port = flow.PeerPort;
        (byte kind, IPAddress address) = For(port);
        ToaClientSelector client = (in FlowKey _) => (NetAddress.FromIPAddress(address), port);
        TcpOptionWriter writer = kind == 253 ? ToaOptionWriters.ClientV6(kind, client) : ToaOptionWriters.ClientV4(kind, client);
        return writer(flow, option);
    }
}
