namespace ToaProxy.Protocol.Tests;

/// <summary>A heap copy of a <see cref="ProxyV2TlvSet"/> (a ref struct cannot be generated or stored),
/// with the TLVs the writer should emit, in its order.</summary>
internal sealed record GeneratedTlvs(byte[] Alpn, byte[] Authority, byte[] UniqueId, ProxyV2CustomTlv[] Custom, int? NoopLength, bool Crc32C)
{
    public ProxyV2TlvSet ToSet() => new()
    {
        Alpn = Alpn,
        Authority = Authority,
        UniqueId = UniqueId,
        Custom = Custom,
        NoopLength = NoopLength,
        Crc32C = Crc32C,
    };

    /// <summary>Every TLV except CRC32C (whose value depends on the whole header), in wire order.</summary>
    public IEnumerable<(byte Type, byte[] Value)> ExpectedWithoutCrc()
    {
        if (Alpn.Length > 0)
        {
            yield return ((byte)ProxyV2TlvType.Alpn, Alpn);
        }

        if (Authority.Length > 0)
        {
            yield return ((byte)ProxyV2TlvType.Authority, Authority);
        }

        if (UniqueId.Length > 0)
        {
            yield return ((byte)ProxyV2TlvType.UniqueId, UniqueId);
        }

        foreach (ProxyV2CustomTlv custom in Custom)
        {
            yield return (custom.Type, custom.Value.ToArray());
        }

        if (NoopLength is int noop)
        {
            yield return ((byte)ProxyV2TlvType.Noop, new byte[noop]);
        }
    }

    public override string ToString() =>
        $"alpn={Alpn.Length} authority={Authority.Length} uid={UniqueId.Length} custom=[{string.Join(",", Custom.Select(c => $"{c.Type:X2}/{c.Value.Length}"))}] noop={NoopLength} crc={Crc32C}";
}
