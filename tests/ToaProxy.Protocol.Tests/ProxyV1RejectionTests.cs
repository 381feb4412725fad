using System.Text;

namespace ToaProxy.Protocol.Tests;

public class ProxyV1RejectionTests
{
    [Theory]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n")]
    [InlineData("PROXY TCP6 2001:db8::1 ::ffff:198.51.100.7 40000 443\r\n")]
    [InlineData("PROXY UNKNOWN\r\n")]
    public void Every_truncation_needs_more_data(string line)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(line);
        for (int length = 0; length < bytes.Length; length++)
        {
            ProxyV1ReadResult result = ProxyV1Reader.Read(bytes.AsSpan(0, length));
            Assert.True(result.Status == ProxyReadStatus.NeedMoreData, $"cut at {length}: {result.Status} {result.Rejection}");
        }
    }

    [Theory]
    [InlineData("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", ProxyV1Rejection.BadPrefix)]
    [InlineData("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", ProxyV1Rejection.UnknownProtocol)]
    [InlineData("PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n", ProxyV1Rejection.BadPrefix)]
    [InlineData("GET / HTTP/1.1\r\n", ProxyV1Rejection.BadPrefix)]
    [InlineData("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", ProxyV1Rejection.UnknownProtocol)]
    [InlineData("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", ProxyV1Rejection.UnknownProtocol)]
    [InlineData("PROXY UNKNOWNX\r\n", ProxyV1Rejection.UnknownProtocol)]
    [InlineData("PROXY TCP4\r\n", ProxyV1Rejection.UnknownProtocol)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", ProxyV1Rejection.BareLineFeed)]
    [InlineData("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", ProxyV1Rejection.BadSeparator)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", ProxyV1Rejection.BadSeparator)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", ProxyV1Rejection.BadSeparator)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", ProxyV1Rejection.BadSeparator)]
    [InlineData("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", ProxyV1Rejection.BadSeparator)]
    [InlineData("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", ProxyV1Rejection.BadSourceAddress)]
    [InlineData("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", ProxyV1Rejection.BadSourceAddress)]
    [InlineData("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", ProxyV1Rejection.BadSourceAddress)]
    [InlineData("PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n", ProxyV1Rejection.BadSourceAddress)]
    [InlineData("PROXY TCP4 0x7f.0.0.1 5.6.7.8 1 2\r\n", ProxyV1Rejection.BadSourceAddress)]
    [InlineData("PROXY TCP4 ::1 5.6.7.8 1 2\r\n", ProxyV1Rejection.BadSourceAddress)]
    [InlineData("PROXY TCP4 1.2.3.4 ::ffff:5.6.7.8 1 2\r\n", ProxyV1Rejection.BadDestinationAddress)]
    [InlineData("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", ProxyV1Rejection.BadSourceAddress)]
    [InlineData("PROXY TCP6 ::1 1::2::3 1 2\r\n", ProxyV1Rejection.BadDestinationAddress)]
    [InlineData("PROXY TCP6 ::1 fe80::1%eth0 1 2\r\n", ProxyV1Rejection.BadDestinationAddress)]
    [InlineData("PROXY TCP6 ::1 [::2] 1 2\r\n", ProxyV1Rejection.BadDestinationAddress)]
    [InlineData("PROXY TCP6 ::1 1:2:3:4:5:6:7:8:9 1 2\r\n", ProxyV1Rejection.BadDestinationAddress)]
    [InlineData("PROXY TCP6 ::1 12345::1 1 2\r\n", ProxyV1Rejection.BadDestinationAddress)]
    [InlineData("PROXY TCP6 ::1 1:2:3:4:5:6:7 1 2\r\n", ProxyV1Rejection.BadDestinationAddress)]
    [InlineData("PROXY TCP6 ::1 :1:2:3:4:5:6:7 1 2\r\n", ProxyV1Rejection.BadDestinationAddress)]
    [InlineData("PROXY TCP6 ::1 1:2:3:4:5:6:7: 1 2\r\n", ProxyV1Rejection.BadDestinationAddress)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", ProxyV1Rejection.BadSourcePort)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", ProxyV1Rejection.BadSourcePort)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", ProxyV1Rejection.BadSourcePort)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n", ProxyV1Rejection.BadSourcePort)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 00\r\n", ProxyV1Rejection.BadDestinationPort)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 999999\r\n", ProxyV1Rejection.BadDestinationPort)]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n", ProxyV1Rejection.BadDestinationPort)]
    public void Malformed_lines_are_rejected_with_a_reason(string line, ProxyV1Rejection expected)
    {
        ProxyV1ReadResult result = ProxyV1Reader.Read(Encoding.ASCII.GetBytes(line));
        Assert.Equal(ProxyReadStatus.Invalid, result.Status);
        Assert.Equal(expected, result.Rejection);
    }

    [Fact]
    public void No_CRLF_within_107_bytes_is_too_long()
    {
        byte[] line = Encoding.ASCII.GetBytes("PROXY UNKNOWN " + new string('x', 93) + "\r\n");
        Assert.Equal(109, line.Length);
        Assert.Equal(ProxyV1Rejection.TooLong, ProxyV1Reader.Read(line).Rejection);
        Assert.Equal(ProxyV1Rejection.TooLong, ProxyV1Reader.Read(line.AsSpan(0, 107)).Rejection);
        Assert.Equal(ProxyReadStatus.NeedMoreData, ProxyV1Reader.Read(line.AsSpan(0, 106)).Status);

        byte[] exactly107 = Encoding.ASCII.GetBytes("PROXY UNKNOWN " + new string('x', 91) + "\r\n");
        Assert.Equal(107, exactly107.Length);
        Assert.Equal(ProxyReadStatus.Complete, ProxyV1Reader.Read(exactly107).Status);
    }

    [Fact]
    public void Random_bytes_never_throw_and_a_rejection_always_has_a_reason()
    {
        var random = new Random(20261125);
        byte[] alphabet = "PROXY TCP46UNKNOW0123456789abcdef.:\r\n "u8.ToArray();
        byte[] buffer = new byte[140];
        for (int i = 0; i < 20_000; i++)
        {
            int length = random.Next(buffer.Length + 1);
            for (int j = 0; j < length; j++)
            {
                buffer[j] = i % 2 == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
            }

            // Half the inputs start like a v1 line, to reach the field parsing.
            if (i % 4 < 2 && length >= 11)
            {
                (i % 4 == 0 ? "PROXY TCP4 "u8 : "PROXY TCP6 "u8).CopyTo(buffer);
            }

            ProxyV1ReadResult result = ProxyV1Reader.Read(buffer.AsSpan(0, length));
            Assert.Equal(result.Status == ProxyReadStatus.Invalid, result.Rejection != ProxyV1Rejection.None);
            if (result.IsComplete)
            {
                Assert.InRange(result.HeaderLength, 15, Math.Min(length, ProxyV1Writer.MaxLength));
            }
        }
    }
}
