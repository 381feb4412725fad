using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace ToaProxy.Relay.Epoll;

/// <summary>Converts between IPEndPoint and Linux's sockaddr_in / sockaddr_in6.</summary>
internal static class SocketAddressCodec
{
    /// <summary>sizeof(struct sockaddr_in6), which also holds a sockaddr_in.</summary>
    public const int MaxLength = 28;

    public static int Write(IPEndPoint endPoint, Span<byte> destination)
    {
        destination[..MaxLength].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)endPoint.Port);
        if (endPoint.AddressFamily == AddressFamily.InterNetwork)
        {
            BitConverter.TryWriteBytes(destination, (ushort)RelaySystemCalls.AfInet);
            endPoint.Address.TryWriteBytes(destination[4..8], out _);
            return 16;
        }

        BitConverter.TryWriteBytes(destination, (ushort)RelaySystemCalls.AfInet6);
        endPoint.Address.TryWriteBytes(destination[8..24], out _);
        BitConverter.TryWriteBytes(destination[24..], (uint)endPoint.Address.ScopeId);
        return MaxLength;
    }

    /// <summary>The endpoint in <paramref name="source"/>, or null for a family other than IPv4/IPv6.</summary>
    public static IPEndPoint? Read(ReadOnlySpan<byte> source)
    {
        ushort family = BitConverter.ToUInt16(source);
        int port = BinaryPrimitives.ReadUInt16BigEndian(source[2..]);
        return family switch
        {
            RelaySystemCalls.AfInet => new IPEndPoint(new IPAddress(source[4..8]), port),
            RelaySystemCalls.AfInet6 => new IPEndPoint(new IPAddress(source[8..24], BitConverter.ToUInt32(source[24..])), port),
            _ => null,
        };
    }
}
