using static ToaProxy.Capture.Bpf.BpfOpcode;

namespace ToaProxy.Capture.Bpf;

/// <summary>
/// The kernel-side form of <see cref="CaptureFilter"/> for an AF_PACKET SOCK_DGRAM socket, where every
/// packet starts at its IP header whatever the device (so the offsets below hold on Ethernet, lo,
/// tunnels and "any" alike). Accepts TCP to the filter's ports that is a SYN without ACK or has a data
/// offset other than 5 and 8, returning the first <c>snapLength</c> bytes; everything else, bulk data
/// in particular, stays in the kernel.
/// </summary>
public static class CaptureBpfProgram
{
    /// <summary>Each port is one conditional jump to a shared target, which must lie within 255 instructions.</summary>
    public const int MaxPorts = 250;

    private const uint PacketOutgoing = 4;
    private const uint EtherTypeIPv4 = 0x0800;
    private const uint EtherTypeIPv6 = 0x86dd;
    private const uint IpProtocolTcp = 6;
    private const uint IPv4MoreFragmentsAndOffset = 0x3fff;
    private const uint IPv6HeaderLength = 40;
    private const uint TcpSynAck = 0x12;
    private const uint TcpSyn = 0x02;
    private const uint DataOffsetMask = 0xf0;
    private const uint DataOffsetNoOptions = 5 << 4;
    private const uint DataOffsetTimestampsOnly = 8 << 4;

    public static BpfInstruction[] Build(CaptureFilter filter, int snapLength)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(snapLength, 1);
        if (filter.Ports.Count > MaxPorts)
        {
            throw new ArgumentException($"At most {MaxPorts} ports can be filtered in the kernel; got {filter.Ports.Count}.", nameof(filter));
        }

        var b = new BpfProgramBuilder();
        var drop = b.DefineLabel();
        var dropHeader = b.DefineLabel();
        var accept = b.DefineLabel();
        var ipv6 = b.DefineLabel();
        var tcp = b.DefineLabel();
        var flags = b.DefineLabel();

        // On lo each packet passes the taps twice, as PACKET_OUTGOING and as PACKET_HOST: keep the
        // receive side only (elsewhere outgoing packets are the host's own and never carry TOA).
        b.Emit(Ld | SizeByte | Abs, AncillaryPacketType);
        b.EmitJump(Jeq, PacketOutgoing, dropHeader);

        // The ethertype from metadata: a cooked packet has no link header to read it from.
        b.Emit(Ld | SizeHalf | Abs, AncillaryProtocol);
        b.EmitJump(Jeq, EtherTypeIPv6, ipv6);
        b.EmitJump(Jeq, EtherTypeIPv4, null, dropHeader);

        // IPv4: TCP, not a fragment (no reassembly; a non-first fragment has no TCP header), X = IHL*4.
        b.Emit(Ld | SizeByte | Abs, 9);
        b.EmitJump(Jeq, IpProtocolTcp, null, dropHeader);
        b.Emit(Ld | SizeHalf | Abs, 6);
        b.EmitJump(Jset, IPv4MoreFragmentsAndOffset, dropHeader);
        b.Emit(Ldx | SizeByte | Msh, 0);
        b.EmitJumpAlways(tcp);

        // IPv6: TCP directly after the fixed header. Extension headers are not walked: TCP behind
        // them is rare on the handshake path and the frame reader does not parse it either.
        b.MarkLabel(ipv6);
        b.Emit(Ld | SizeByte | Abs, 6);
        b.EmitJump(Jeq, IpProtocolTcp, null, dropHeader);
        b.Emit(Ldx | SizeWord | Imm, IPv6HeaderLength);
        b.EmitJumpAlways(tcp);

        // A drop within reach of the header checks: the port list below can exceed a conditional jump's 255.
        b.MarkLabel(dropHeader);
        b.Emit(Ret | BpfOpcode.K, 0);


        // TCP at X: destination port in the list.
        b.MarkLabel(tcp);
        if (filter.Ports.Count > 0)
        {
            b.Emit(Ld | SizeHalf | Ind, 2);
            for (int i = 0; i < filter.Ports.Count; i++)
            {
                bool last = i == filter.Ports.Count - 1;
                b.EmitJump(Jeq, filter.Ports[i], flags, last ? drop : null);
            }
        }

        // SYN without ACK, or options other than none / NOP,NOP,timestamps.
        b.MarkLabel(flags);
        b.Emit(Ld | SizeByte | Ind, 13);
        b.Emit(Alu | And | BpfOpcode.K, TcpSynAck);
        b.EmitJump(Jeq, TcpSyn, accept);
        b.Emit(Ld | SizeByte | Ind, 12);
        b.Emit(Alu | And | BpfOpcode.K, DataOffsetMask);
        b.EmitJump(Jeq, DataOffsetNoOptions, drop);
        b.EmitJump(Jeq, DataOffsetTimestampsOnly, drop);

        b.MarkLabel(accept);
        b.Emit(Ret | BpfOpcode.K, (uint)snapLength);
        b.MarkLabel(drop);
        b.Emit(Ret | BpfOpcode.K, 0);
        return b.Build();
    }
}
