namespace ToaProxy.Capture.Bpf;

/// <summary>
/// Assembles a classic BPF program with named forward jumps, so a generated program never carries
/// hand-counted jump offsets. Classic BPF only jumps forward, and conditional jumps reach at most 255
/// instructions; <see cref="Build"/> checks both.
/// </summary>
public sealed class BpfProgramBuilder
{
    private readonly List<BpfInstruction> _instructions = [];
    private readonly List<int> _labelPositions = [];
    private readonly List<(int Index, BpfLabel? WhenTrue, BpfLabel? WhenFalse)> _jumps = [];

    public BpfLabel DefineLabel()
    {
        _labelPositions.Add(-1);
        return new BpfLabel(_labelPositions.Count - 1);
    }

    /// <summary>Places <paramref name="label"/> at the next instruction.</summary>
    public void MarkLabel(BpfLabel label)
    {
        if (_labelPositions[label.Id] != -1)
        {
            throw new InvalidOperationException($"Label {label.Id} is already placed.");
        }

        _labelPositions[label.Id] = _instructions.Count;
    }

    /// <summary>Any instruction that is not a jump.</summary>
    public void Emit(ushort code, uint k = 0) => _instructions.Add(new BpfInstruction(code, 0, 0, k));

    /// <summary>A conditional jump comparing A with k; a null target falls through to the next instruction.</summary>
    public void EmitJump(ushort condition, uint k, BpfLabel? whenTrue, BpfLabel? whenFalse = null)
    {
        _jumps.Add((_instructions.Count, whenTrue, whenFalse));
        _instructions.Add(new BpfInstruction((ushort)(BpfOpcode.Jmp | condition | BpfOpcode.K), 0, 0, k));
    }

    /// <summary>An unconditional jump (ja); its 32-bit offset reaches anywhere forward.</summary>
    public void EmitJumpAlways(BpfLabel target)
    {
        _jumps.Add((_instructions.Count, target, null));
        _instructions.Add(new BpfInstruction(BpfOpcode.Jmp | BpfOpcode.Ja, 0, 0, 0));
    }

    public BpfInstruction[] Build()
    {
        var program = _instructions.ToArray();
        foreach (var (index, whenTrue, whenFalse) in _jumps)
        {
            var instruction = program[index];
            if (instruction.Code == (BpfOpcode.Jmp | BpfOpcode.Ja))
            {
                program[index] = instruction with { K = (uint)Distance(index, whenTrue!.Value) };
                continue;
            }

            program[index] = instruction with
            {
                JumpIfTrue = whenTrue is { } trueTarget ? ShortDistance(index, trueTarget) : (byte)0,
                JumpIfFalse = whenFalse is { } falseTarget ? ShortDistance(index, falseTarget) : (byte)0,
            };
        }

        return program;
    }

    private int Distance(int from, BpfLabel target)
    {
        int position = _labelPositions[target.Id];
        if (position == -1)
        {
            throw new InvalidOperationException($"Label {target.Id} was never placed.");
        }

        int distance = position - (from + 1);
        if (distance < 0)
        {
            throw new InvalidOperationException($"Instruction {from} jumps backwards to label {target.Id}; classic BPF only jumps forward.");
        }

        return distance;
    }

    private byte ShortDistance(int from, BpfLabel target)
    {
        int distance = Distance(from, target);
        if (distance > byte.MaxValue)
        {
            throw new InvalidOperationException($"Instruction {from} is {distance} instructions from label {target.Id}; a conditional jump reaches 255.");
        }

        return (byte)distance;
    }
}
