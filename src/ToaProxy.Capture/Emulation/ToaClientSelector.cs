using ToaProxy.Protocol;

namespace ToaProxy.Capture.Emulation;

/// <summary>The client address and port a load balancer would report for <paramref name="flow"/>
/// (tests derive one per source port to tell connections apart).</summary>
public delegate (NetAddress Address, ushort Port) ToaClientSelector(in FlowKey flow);
