using System.Net;
using CsCheck;
using ToaProxy.Relay.Epoll;

namespace ToaProxy.Tests.Relay;

public sealed class SocketAddressCodecTests
{
    [Theory]
    [InlineData("198.51.100.7", 443, 16)]
    [InlineData("2001:db8::42", 8443, 28)]
    [InlineData("::ffff:203.0.113.9", 1, 28)]
    public void An_endpoint_is_written_as_linux_lays_out_sockaddr_and_read_back(string address, int port, int expectedLength)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(address), port);
        byte[] buffer = new byte[SocketAddressCodec.MaxLength];

        int length = SocketAddressCodec.Write(endPoint, buffer);

        Assert.Equal(expectedLength, length);
        Assert.Equal(endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 2 : 10, BitConverter.ToUInt16(buffer));
        Assert.Equal([(byte)(port >> 8), (byte)port], buffer[2..4]);
        Assert.Equal(endPoint, SocketAddressCodec.Read(buffer.AsSpan(0, length)));
    }

    [Fact]
    public void Any_ipv4_or_ipv6_endpoint_round_trips()
    {
        Gen.Select(Gen.Bool, Gen.Byte.Array[16], Gen.Int[0, 65535], Gen.UInt[0, 8]).Sample((v4, bytes, port, scope) =>
        {
            IPAddress address = v4 ? new IPAddress(bytes[..4]) : new IPAddress(bytes, scope);
            var endPoint = new IPEndPoint(address, port);
            byte[] buffer = new byte[SocketAddressCodec.MaxLength];

            int length = SocketAddressCodec.Write(endPoint, buffer);

            Assert.Equal(endPoint, SocketAddressCodec.Read(buffer.AsSpan(0, length)));
        });
    }

    [Fact]
    public void A_family_other_than_ipv4_or_ipv6_reads_as_null()
    {
        byte[] unix = new byte[SocketAddressCodec.MaxLength];
        unix[0] = 1;

        Assert.Null(SocketAddressCodec.Read(unix));
    }
}
