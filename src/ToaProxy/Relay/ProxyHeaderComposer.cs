using System.Buffers.Binary;
using System.Security.Cryptography;
using ToaProxy.Configuration;
using ToaProxy.Protocol;

namespace ToaProxy.Relay;

/// <summary>Turns a connection's <see cref="HeaderPlan"/> into the PROXY header its listener asks for.</summary>
public static class ProxyHeaderComposer
{
    /// <summary>Enough for v2 with INET6 addresses, a 33-byte unique id, a VPC id TLV and CRC32C, or any v1 line.</summary>
    public const int MaxLength = 160;

    private const int UniqueIdLength = 33;

    // Makes unique ids differ between proxy instances and restarts: "<instance>-<connection>" in hex.
    private static readonly string InstancePrefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    public static int Compose(Span<byte> destination, ListenerSettings listener, in HeaderPlan plan)
    {
        ProxyHeader header = plan.IsLocal
            ? (listener.Protocol == ProxyProtocolVersion.V1 ? ProxyHeader.Unknown : ProxyHeader.Local)
            : ProxyHeader.Tcp(plan.Source, plan.SourcePort, plan.Destination, plan.DestinationPort);
        if (listener.Protocol == ProxyProtocolVersion.V1)
        {
            return ProxyV1Writer.Write(header, destination);
        }

        Span<byte> uniqueId = stackalloc byte[UniqueIdLength];
        bool withUniqueId = listener.Tlvs.HasFlag(ProxyTlvSelection.UniqueId);
        if (withUniqueId)
        {
            WriteUniqueId(uniqueId, plan.ConnectionId);
        }

        ProxyV2CustomTlv[]? custom = null;
        if (listener.Tlvs.HasFlag(ProxyTlvSelection.VpcId) && plan.HasVpcId)
        {
            byte[] vpc = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(vpc, plan.VpcId);
            custom = [new ProxyV2CustomTlv(listener.VpcIdTlvType, vpc)];
        }

        var tlvs = new ProxyV2TlvSet
        {
            UniqueId = withUniqueId ? uniqueId : default,
            Custom = custom,
            Crc32C = listener.Tlvs.HasFlag(ProxyTlvSelection.Crc32c),
        };
        return ProxyV2Writer.Write(header, tlvs, destination);
    }

    private static void WriteUniqueId(Span<byte> destination, long connectionId)
    {
        for (int i = 0; i < 16; i++)
        {
            destination[i] = (byte)InstancePrefix[i];
        }

        destination[16] = (byte)'-';
        const string hex = "0123456789abcdef";
        ulong id = (ulong)connectionId;
        for (int i = 32; i >= 17; i--)
        {
            destination[i] = (byte)hex[(int)(id & 0xF)];
            id >>= 4;
        }
    }
}
