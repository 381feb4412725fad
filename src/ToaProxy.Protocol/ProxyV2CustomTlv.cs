namespace ToaProxy.Protocol;

/// <summary>An application TLV (type 0xE0–0xEF) to write, e.g. 0xEA as AWS uses it for the VPC
/// endpoint id. The value is memory, not a span, so a span of these can be passed to the writer;
/// the caller owns the bytes (usually static configuration), so writing allocates nothing.</summary>
public readonly record struct ProxyV2CustomTlv(byte Type, ReadOnlyMemory<byte> Value);
