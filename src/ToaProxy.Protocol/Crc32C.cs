using System.Buffers.Binary;
using System.Numerics;

namespace ToaProxy.Protocol;

/// <summary>
/// CRC-32C (Castagnoli, RFC 4960 appendix B), as the PROXY v2 CRC32C TLV uses it.
/// <see cref="BitOperations.Crc32C(uint, ulong)"/> uses SSE4.2 / ARMv8 CRC instructions and
/// falls back to a table in software on other CPUs.
/// </summary>
public static class Crc32C
{
    public const uint InitialState = 0xFFFF_FFFF;

    /// <summary>The finished checksum of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(InitialState, data));

    /// <summary>Feeds more bytes into a running state (start from <see cref="InitialState"/>).</summary>
    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        while (data.Length >= sizeof(ulong))
        {
            state = BitOperations.Crc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }

        foreach (byte b in data)
        {
            state = BitOperations.Crc32C(state, b);
        }

        return state;
    }

    public static uint Finish(uint state) => ~state;
}
