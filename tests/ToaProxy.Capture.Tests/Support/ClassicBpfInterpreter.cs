using System.Buffers.Binary;
using ToaProxy.Capture.Bpf;
using static ToaProxy.Capture.Bpf.BpfOpcode;

namespace ToaProxy.Capture.Tests.Support;

/// <summary>
/// Runs a classic BPF program as the kernel's socket filter does, including the two ancillary loads
/// the capture programs use; a load past the packet's end rejects it (returns 0), as in the kernel.
/// </summary>
public static class ClassicBpfInterpreter
{
    public static uint Run(ReadOnlySpan<BpfInstruction> program, ReadOnlySpan<byte> packet, PacketMetadata metadata)
    {
        uint a = 0;
        uint x = 0;
        Span<uint> memory = stackalloc uint[16];
        for (int pc = 0; pc < program.Length; pc++)
        {
            var insn = program[pc];
            int cls = insn.Code & 0x07;
            switch (cls)
            {
                case Ld:
                case Ldx:
                {
                    int size = insn.Code & 0x18;
                    int mode = insn.Code & 0xe0;
                    uint value;
                    switch (mode)
                    {
                        case Imm:
                            value = insn.K;
                            break;
                        case Len:
                            value = (uint)packet.Length;
                            break;
                        case Mem:
                            value = memory[(int)insn.K];
                            break;
                        case Msh:
                            if (insn.K >= packet.Length)
                            {
                                return 0;
                            }

                            value = (uint)(4 * (packet[(int)insn.K] & 0xf));
                            break;
                        case Abs:
                        case Ind:
                            uint offset = mode == Ind ? x + insn.K : insn.K;
                            if (offset >= AncillaryOffset)
                            {
                                value = Ancillary(offset, metadata);
                                break;
                            }

                            if (!TryLoad(packet, offset, size, out value))
                            {
                                return 0;
                            }

                            break;
                        default:
                            throw new InvalidOperationException($"Unknown load mode at {pc}: {insn}");
                    }

                    if (cls == Ld)
                    {
                        a = value;
                    }
                    else
                    {
                        x = value;
                    }

                    break;
                }

                case St:
                    memory[(int)insn.K] = a;
                    break;
                case Stx:
                    memory[(int)insn.K] = x;
                    break;
                case Alu:
                {
                    uint operand = (insn.Code & BpfOpcode.X) != 0 ? x : insn.K;
                    a = (insn.Code & 0xf0) switch
                    {
                        Add => a + operand,
                        Sub => a - operand,
                        Mul => a * operand,
                        Div => operand == 0 ? throw new DivideByZeroException() : a / operand,
                        Mod => operand == 0 ? throw new DivideByZeroException() : a % operand,
                        BpfOpcode.Or => a | operand,
                        BpfOpcode.And => a & operand,
                        Lsh => a << (int)operand,
                        Rsh => a >> (int)operand,
                        Neg => (uint)-(int)a,
                        Xor => a ^ operand,
                        _ => throw new InvalidOperationException($"Unknown ALU op at {pc}: {insn}"),
                    };
                    break;
                }

                case Jmp:
                {
                    int op = insn.Code & 0xf0;
                    if (op == Ja)
                    {
                        pc += (int)insn.K;
                        break;
                    }

                    uint operand = (insn.Code & BpfOpcode.X) != 0 ? x : insn.K;
                    bool taken = op switch
                    {
                        Jeq => a == operand,
                        Jgt => a > operand,
                        Jge => a >= operand,
                        Jset => (a & operand) != 0,
                        _ => throw new InvalidOperationException($"Unknown jump at {pc}: {insn}"),
                    };
                    pc += taken ? insn.JumpIfTrue : insn.JumpIfFalse;
                    break;
                }

                case Ret:
                    return (insn.Code & 0x18) switch
                    {
                        BpfOpcode.K => insn.K,
                        BpfOpcode.A => a,
                        _ => throw new InvalidOperationException($"Unknown ret at {pc}: {insn}"),
                    };
                case Misc:
                    if ((insn.Code & 0xf8) == Txa)
                    {
                        a = x;
                    }
                    else
                    {
                        x = a;
                    }

                    break;
            }
        }

        throw new InvalidOperationException("The program ran off its end without a ret.");
    }

    private static uint Ancillary(uint offset, PacketMetadata metadata) => offset switch
    {
        AncillaryProtocol => metadata.EtherType,
        AncillaryPacketType => metadata.PacketType,
        _ => throw new InvalidOperationException($"Ancillary load 0x{offset:x} is not modelled."),
    };

    private static bool TryLoad(ReadOnlySpan<byte> packet, uint offset, int size, out uint value)
    {
        int width = size switch { SizeWord => 4, SizeHalf => 2, _ => 1 };
        if (offset > (uint)packet.Length || packet.Length - (int)offset < width)
        {
            value = 0;
            return false;
        }

        var bytes = packet.Slice((int)offset, width);
        value = width switch
        {
            4 => BinaryPrimitives.ReadUInt32BigEndian(bytes),
            2 => BinaryPrimitives.ReadUInt16BigEndian(bytes),
            _ => bytes[0],
        };
        return true;
    }
}
