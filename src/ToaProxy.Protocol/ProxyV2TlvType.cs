namespace ToaProxy.Protocol;

/// <summary>Registered PROXY v2 TLV types. Any byte may appear on the wire; 0xE0–0xEF are for
/// applications (see <see cref="ProxyV2Format.CustomTlvTypeFirst"/>).</summary>
public enum ProxyV2TlvType : byte
{
    Alpn = 0x01,
    Authority = 0x02,
    Crc32C = 0x03,
    Noop = 0x04,
    UniqueId = 0x05,
    Ssl = 0x20,
    Netns = 0x30,
}
