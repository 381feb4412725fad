using System.Runtime.InteropServices;

namespace ToaProxy.Capture.Bpf;

/// <summary>One classic BPF instruction, laid out as the kernel's struct sock_filter (8 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct BpfInstruction(ushort Code, byte JumpIfTrue, byte JumpIfFalse, uint K)
{
    public override string ToString() => $"{{ 0x{Code:x2}, {JumpIfTrue}, {JumpIfFalse}, 0x{K:x8} }}";
}
