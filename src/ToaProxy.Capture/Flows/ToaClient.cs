using ToaProxy.Protocol;

namespace ToaProxy.Capture.Flows;

/// <summary>
/// What the load balancer said about one connection: the real client (from the first client-address
/// option) and, when sent, the original destination (VIP) and VPC id, merged from one packet's options.
/// </summary>
public readonly record struct ToaClient(
    NetAddress Address,
    ushort Port,
    byte Kind,
    byte Length,
    bool HasVip,
    NetAddress Vip,
    ushort VipPort,
    bool HasVpcId,
    uint VpcId)
{
    /// <summary>
    /// Merges the options of one packet. Returns false when no option carries a client address
    /// (a VIP-only packet says nothing about the client).
    /// </summary>
    public static bool TryMerge(ReadOnlySpan<ToaOption> options, out ToaClient client)
    {
        client = default;
        bool found = false;
        bool hasVip = false;
        NetAddress vip = default;
        ushort vipPort = 0;
        bool hasVpc = false;
        uint vpcId = 0;
        NetAddress address = default;
        ushort port = 0;
        byte kind = 0;
        byte length = 0;
        foreach (ref readonly ToaOption option in options)
        {
            if (option.HasClient && !found)
            {
                found = true;
                address = option.Client;
                port = option.ClientPort;
                kind = option.Kind;
                length = option.Length;
            }

            if (option.HasVip && !hasVip)
            {
                hasVip = true;
                vip = option.Vip;
                vipPort = option.VipPort;
            }

            if (option.HasVpcId && !hasVpc)
            {
                hasVpc = true;
                vpcId = option.VpcId;
            }
        }

        if (!found)
        {
            return false;
        }

        client = new ToaClient(address, port, kind, length, hasVip, vip, vipPort, hasVpc, vpcId);
        return true;
    }

    /// <summary>Same client and same original destination: a repeat of the option, not a conflict.</summary>
    public bool SameOrigin(in ToaClient other) =>
        Address == other.Address && Port == other.Port && HasVip == other.HasVip && Vip == other.Vip && VipPort == other.VipPort;
}
