namespace ToaProxy.Capture.Bpf;

/// <summary>Classic BPF opcode parts (linux/filter.h); an instruction's code ORs a class with its modifiers.</summary>
public static class BpfOpcode
{
    // Instruction classes.
    public const ushort Ld = 0x00;
    public const ushort Ldx = 0x01;
    public const ushort St = 0x02;
    public const ushort Stx = 0x03;
    public const ushort Alu = 0x04;
    public const ushort Jmp = 0x05;
    public const ushort Ret = 0x06;
    public const ushort Misc = 0x07;

    // Load sizes.
    public const ushort SizeWord = 0x00;
    public const ushort SizeHalf = 0x08;
    public const ushort SizeByte = 0x10;

    // Load modes.
    public const ushort Imm = 0x00;
    public const ushort Abs = 0x20;
    public const ushort Ind = 0x40;
    public const ushort Mem = 0x60;
    public const ushort Len = 0x80;
    /// <summary>ldxb 4*([k]&amp;0xf): the IPv4 header length idiom.</summary>
    public const ushort Msh = 0xa0;

    // ALU operations.
    public const ushort Add = 0x00;
    public const ushort Sub = 0x10;
    public const ushort Mul = 0x20;
    public const ushort Div = 0x30;
    public const ushort Or = 0x40;
    public const ushort And = 0x50;
    public const ushort Lsh = 0x60;
    public const ushort Rsh = 0x70;
    public const ushort Neg = 0x80;
    public const ushort Mod = 0x90;
    public const ushort Xor = 0xa0;

    // Jumps.
    public const ushort Ja = 0x00;
    public const ushort Jeq = 0x10;
    public const ushort Jgt = 0x20;
    public const ushort Jge = 0x30;
    public const ushort Jset = 0x40;

    // Operand source: the constant k or the X register; for ret, A.
    public const ushort K = 0x00;
    public const ushort X = 0x08;
    public const ushort A = 0x10;

    // Misc operations.
    public const ushort Tax = 0x00;
    public const ushort Txa = 0x80;

    /// <summary>SKF_AD_OFF: absolute loads at this offset (as uint, −0x1000) read packet metadata instead of data.</summary>
    public const uint AncillaryOffset = unchecked((uint)-0x1000);
    /// <summary>skb->protocol (the ethertype), host order.</summary>
    public const uint AncillaryProtocol = AncillaryOffset + 0;
    /// <summary>skb->pkt_type (PACKET_HOST, PACKET_OUTGOING, ...).</summary>
    public const uint AncillaryPacketType = AncillaryOffset + 4;
}
