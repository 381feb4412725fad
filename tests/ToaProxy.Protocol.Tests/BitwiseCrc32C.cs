namespace ToaProxy.Protocol.Tests;

/// <summary>CRC-32C bit by bit from the polynomial (reflected 0x82F63B78), independent of the
/// production code, so the vectors do not check our CRC against itself.</summary>
internal static class BitwiseCrc32C
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFF_FFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1;
            }
        }

        return ~crc;
    }
}
