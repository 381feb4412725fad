namespace ToaProxy.Capture.Bpf;

/// <summary>A forward jump target in a <see cref="BpfProgramBuilder"/>; resolved when the program is built.</summary>
public readonly record struct BpfLabel(int Id);
