using System.Text;

namespace ToaProxy.Protocol.Tests;

public class ProxyV1VectorTests
{
    [Theory]
    // The spec's own example (section 2.1).
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", "192.168.0.1", 56324, "192.168.0.11", 443)]
    [InlineData("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n", "0.0.0.0", 0, "255.255.255.255", 65535)]
    [InlineData("PROXY TCP6 2001:db8::1 2001:db8::2 40000 8443\r\n", "2001:db8::1", 40000, "2001:db8::2", 8443)]
    [InlineData("PROXY TCP6 ::1 fe80::1:2:3:4 1 2\r\n", "::1", 1, "fe80::1:2:3:4", 2)]
    // RFC 5952: the longest zero run is compressed, the first on a tie, a single zero group never.
    [InlineData("PROXY TCP6 2001:db8:0:1:1:1:1:1 1:0:0:2::3 5 6\r\n", "2001:db8:0:1:1:1:1:1", 5, "1:0:0:2:0:0:0:3", 6)]
    [InlineData("PROXY TCP6 1::2:0:0:3:4 1:0:2:3:4:5:6:7 5 6\r\n", "1:0:0:2:0:0:3:4", 5, "1:0:2:3:4:5:6:7", 6)]
    // Mixed families are promoted to TCP6 with the IPv4 side mapped.
    [InlineData("PROXY TCP6 2001:db8::1 ::ffff:198.51.100.7 40000 443\r\n", "2001:db8::1", 40000, "198.51.100.7", 443)]
    [InlineData("PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 40000 443\r\n", "192.0.2.1", 40000, "2001:db8::2", 443)]
    public void Writer_and_reader_agree_with_hand_written_lines(string line, string source, ushort sourcePort, string destination, ushort destinationPort)
    {
        ProxyHeader header = ProxyHeader.Tcp(Address(source), sourcePort, Address(destination), destinationPort);
        byte[] expected = Encoding.ASCII.GetBytes(line);

        byte[] buffer = new byte[ProxyV1Writer.MaxLength];
        int written = ProxyV1Writer.Write(header, buffer);
        Assert.Equal(line, Encoding.ASCII.GetString(buffer, 0, written));

        ProxyV1ReadResult result = ProxyV1Reader.Read([.. expected, .. "GET /"u8]);
        Assert.Equal(ProxyReadStatus.Complete, result.Status);
        Assert.Equal(expected.Length, result.HeaderLength);
        Assert.Equal(header, result.Header);
    }

    [Theory]
    [InlineData("PROXY TCP6 2001:DB8::1 0:0:0:0:0:0:0:1 1 2\r\n", "2001:db8::1", "::1")]
    [InlineData("PROXY TCP6 :: ::0.0.0.1 1 2\r\n", "::", "::1")]
    [InlineData("PROXY TCP6 0001:0db8:0000:0000:0000:0000:0000:0001 1:2:3:4:5:6:1.2.3.4 1 2\r\n", "1:db8::1", "1:2:3:4:5:6:102:304")]
    [InlineData("PROXY TCP6 1:: 1:2:3:4:5:6:7:: 1 2\r\n", "1::", "1:2:3:4:5:6:7:0")]
    public void Reader_accepts_every_RFC_4291_text_form(string line, string source, string destination)
    {
        ProxyV1ReadResult result = ProxyV1Reader.Read(Encoding.ASCII.GetBytes(line));
        Assert.Equal(ProxyReadStatus.Complete, result.Status);
        Assert.Equal(ProxyAddressFamily.Inet6, result.Header.Family);
        Assert.Equal(Address(source), result.Header.Source);
        Assert.Equal(Address(destination), result.Header.Destination);
    }

    [Theory]
    [InlineData("PROXY UNKNOWN\r\n")]
    [InlineData("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n")]
    [InlineData("PROXY UNKNOWN anything at all, even  double  spaces\r\n")]
    public void UNKNOWN_ignores_the_rest_of_the_line(string line)
    {
        ProxyV1ReadResult result = ProxyV1Reader.Read(Encoding.ASCII.GetBytes(line));
        Assert.Equal(ProxyReadStatus.Complete, result.Status);
        Assert.Equal(ProxyHeader.Unknown, result.Header);
        Assert.Equal(line.Length, result.HeaderLength);
    }

    [Fact]
    public void LOCAL_and_UNSPEC_are_written_as_UNKNOWN()
    {
        byte[] buffer = new byte[ProxyV1Writer.MaxLength];
        Assert.Equal("PROXY UNKNOWN\r\n", Encoding.ASCII.GetString(buffer, 0, ProxyV1Writer.Write(ProxyHeader.Local, buffer)));
        Assert.Equal("PROXY UNKNOWN\r\n", Encoding.ASCII.GetString(buffer, 0, ProxyV1Writer.Write(ProxyHeader.Unknown, buffer)));
    }

    [Fact]
    public void The_longest_line_fits_the_107_byte_limit()
    {
        NetAddress longest = Address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
        byte[] buffer = new byte[ProxyV1Writer.MaxLength];
        int written = ProxyV1Writer.Write(ProxyHeader.Tcp(longest, 65535, longest, 65535), buffer);
        Assert.Equal(104, written);
        Assert.False(ProxyV1Writer.TryWrite(ProxyHeader.Tcp(longest, 65535, longest, 65535), new byte[103], out int none));
        Assert.Equal(0, none);
    }

    [Fact]
    public void Writing_allocates_nothing()
    {
        ProxyHeader header = ProxyHeader.Tcp(ProxyV2Vectors.Client6, 40000, ProxyV2Vectors.Server4, 443);
        byte[] buffer = new byte[ProxyV1Writer.MaxLength];
        ProxyV1Writer.Write(header, buffer);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            ProxyV1Writer.Write(header, buffer);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static NetAddress Address(string text) => NetAddress.FromIPAddress(System.Net.IPAddress.Parse(text));
}
