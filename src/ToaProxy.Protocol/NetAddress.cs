using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace ToaProxy.Protocol;

/// <summary>
/// An IPv4 or IPv6 address as a 16-byte value, allocation-free. IPv4 is held in its IPv4-mapped
/// IPv6 form (::ffff:a.b.c.d), so an IPv4 address and its mapped form from a dual-stack socket are
/// the same value: flow keys built from a packet and from an accepted socket always match.
/// </summary>
public readonly struct NetAddress : IEquatable<NetAddress>
{
    private const ulong MappedPrefixLow = 0x0000_FFFF_0000_0000UL;

    // Network byte order: _high holds bytes 0..7, _low bytes 8..15, both read big-endian.
    private readonly ulong _high;
    private readonly ulong _low;

    private NetAddress(ulong high, ulong low)
    {
        _high = high;
        _low = low;
    }

    public static NetAddress None => default;

    /// <summary>True for IPv4 and IPv4-mapped IPv6 addresses.</summary>
    public bool IsIPv4 => _high == 0 && (_low & 0xFFFF_FFFF_0000_0000UL) == MappedPrefixLow;

    public AddressFamily Family => IsIPv4 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;

    /// <summary>The IPv4 address in host order; meaningful only when <see cref="IsIPv4"/>.</summary>
    public uint IPv4Value => (uint)_low;

    public static NetAddress FromIPv4(uint hostOrder) => new(0, MappedPrefixLow | hostOrder);

    /// <summary>Reads 4 bytes (IPv4) or 16 bytes (IPv6), network byte order.</summary>
    public static NetAddress FromIPv4(ReadOnlySpan<byte> fourBytes) => FromIPv4(BinaryPrimitives.ReadUInt32BigEndian(fourBytes));

    public static NetAddress FromIPv6(ReadOnlySpan<byte> sixteenBytes) => new(
        BinaryPrimitives.ReadUInt64BigEndian(sixteenBytes),
        BinaryPrimitives.ReadUInt64BigEndian(sixteenBytes[8..]));

    public static NetAddress FromIPAddress(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            return FromIPv4(bytes[..4]);
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            address.TryWriteBytes(bytes, out _);
            return FromIPv6(bytes);
        }

        throw new ArgumentException($"Address family {address.AddressFamily} is not IPv4 or IPv6.", nameof(address));
    }

    /// <summary>Writes 4 bytes when IPv4, otherwise 16; returns the count written.</summary>
    public int WriteBytes(Span<byte> destination)
    {
        if (IsIPv4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, IPv4Value);
            return 4;
        }

        WriteIPv6Bytes(destination);
        return 16;
    }

    /// <summary>Always writes the 16-byte IPv6 form (IPv4 as ::ffff:a.b.c.d).</summary>
    public void WriteIPv6Bytes(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
    }

    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        int n = WriteBytes(bytes);
        return new IPAddress(bytes[..n]);
    }

    /// <summary>True when this address lies in <paramref name="network"/>/<paramref name="prefixLength"/>
    /// (prefix length counted on the 128-bit form, so an IPv4 /24 is a /120 here).</summary>
    public bool IsInPrefix(NetAddress network, int prefixLength)
    {
        if (prefixLength <= 0)
        {
            return true;
        }

        if (prefixLength <= 64)
        {
            ulong mask = prefixLength == 64 ? ulong.MaxValue : ~(ulong.MaxValue >> prefixLength);
            return (_high & mask) == (network._high & mask);
        }

        int lowBits = Math.Min(prefixLength, 128) - 64;
        ulong lowMask = lowBits == 64 ? ulong.MaxValue : ~(ulong.MaxValue >> lowBits);
        return _high == network._high && (_low & lowMask) == (network._low & lowMask);
    }

    public bool Equals(NetAddress other) => _high == other._high && _low == other._low;

    public override bool Equals(object? obj) => obj is NetAddress other && Equals(other);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override int GetHashCode() => HashCode.Combine(_high, _low);

    public static bool operator ==(NetAddress left, NetAddress right) => left.Equals(right);

    public static bool operator !=(NetAddress left, NetAddress right) => !left.Equals(right);

    public override string ToString() => ToIPAddress().ToString();
}
