namespace ToaProxy.Protocol;

/// <summary>
/// What the bytes after (kind, length) of a TOA-family option mean. Options are dispatched on
/// (kind, length), never kind alone: the same kind means different things at different lengths.
/// See ../shared/notes/toa-formats.md for who sends which.
/// </summary>
public enum ToaLayout
{
    /// <summary>port(2) IPv4(4): 200/8, 254/8, 253/8.</summary>
    ClientV4,
    /// <summary>port(2) IPv6(16): 254/20, 253/20.</summary>
    ClientV6,
    /// <summary>port(2) IPv4(4) pad(2) vip-port(2) vip-IPv4(4): 254/16.</summary>
    ClientV4WithVip,
    /// <summary>vip-port(2) vip-IPv4(4): 202/8, 250/8.</summary>
    VipV4,
    /// <summary>vpc-id(4): 201/6.</summary>
    VpcId,
    /// <summary>port(2) IPv4(4) vpc-id(4) vip-IPv4(4) vip-port(2) pad(2): 252/20.</summary>
    ClientV4VpcVip,
    /// <summary>port(2) IPv6(16) vpc-id(3) reserved(1) vip-IPv6(16): 249/40.</summary>
    ClientV6VpcVip,
    /// <summary>version(1)=1 then IPv4(4) or IPv6(16), no port: 28/7, 28/19 (Alibaba CDN).</summary>
    CdnClient,
}
