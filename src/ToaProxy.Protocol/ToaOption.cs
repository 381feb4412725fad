namespace ToaProxy.Protocol;

/// <summary>
/// One decoded TOA-family option. A layout may carry a client address, an original destination
/// (the load balancer's VIP), a VPC id, or several of them; the Has* flags say which.
/// </summary>
public readonly record struct ToaOption(
    byte Kind,
    byte Length,
    ToaLayout Layout,
    bool HasClient,
    NetAddress Client,
    ushort ClientPort,
    bool HasVip,
    NetAddress Vip,
    ushort VipPort,
    bool HasVpcId,
    uint VpcId);
