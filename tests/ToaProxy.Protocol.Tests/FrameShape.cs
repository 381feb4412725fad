namespace ToaProxy.Protocol.Tests;

/// <summary>The link framings the tests wrap an IP packet in.</summary>
public enum FrameShape
{
    Ethernet,
    EthernetVlan,
    EthernetQinQ,
    LinuxSll,
    LinuxSll2,
    RawIp,
}
