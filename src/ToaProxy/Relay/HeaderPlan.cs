using ToaProxy.Protocol;

namespace ToaProxy.Relay;

/// <summary>What the PROXY header of one connection will say: PROXY with addresses, or LOCAL.</summary>
public readonly record struct HeaderPlan(
    bool IsLocal,
    NetAddress Source,
    ushort SourcePort,
    NetAddress Destination,
    ushort DestinationPort,
    bool HasVpcId,
    uint VpcId,
    long ConnectionId)
{
    public static HeaderPlan Local(long connectionId) => new(true, default, 0, default, 0, false, 0, connectionId);
}
