using ToaProxy.Protocol;

namespace ToaProxy.Capture.Emulation;

/// <summary>
/// Chooses the option to insert into one packet of <paramref name="flow"/> (peer = the client that
/// sends it): writes kind, length and data into <paramref name="option"/> (40 bytes) and returns
/// the bytes written, or 0 to leave the packet unchanged.
/// </summary>
public delegate int TcpOptionWriter(in FlowKey flow, Span<byte> option);
