namespace ToaProxy.Capture.Emulation;

/// <summary>Settings of <see cref="TcpOptionInjector"/>.</summary>
/// <param name="QueueNumber">NFQUEUE number for the OUTPUT rule; must differ from any capture's.</param>
/// <param name="DestinationPort">Outgoing connections to this port get the option.</param>
/// <param name="Option">Chooses the option per packet from its 4-tuple (see <see cref="ToaOptionWriters"/>).</param>
public sealed record TcpOptionInjectorOptions(ushort QueueNumber, ushort DestinationPort, TcpOptionWriter Option)
{
    public ToaInjectionPackets Packets { get; init; } = ToaInjectionPackets.Syn;

    /// <summary>Tag of the OUTPUT rules' comment (toaproxy:&lt;tag&gt;).</summary>
    public string RuleTag { get; init; } = "emulator";
}
