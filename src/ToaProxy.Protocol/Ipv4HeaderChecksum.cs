using System.Buffers.Binary;

namespace ToaProxy.Protocol;

/// <summary>The IPv4 header checksum, recomputed after a rewrite changes the total length.</summary>
internal static class Ipv4HeaderChecksum
{
    private const int ChecksumOffset = 10;

    public static void Update(Span<byte> header)
    {
        header[ChecksumOffset] = 0;
        header[ChecksumOffset + 1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header[ChecksumOffset..], InternetChecksum.Finish(InternetChecksum.Add(0, header)));
    }
}
