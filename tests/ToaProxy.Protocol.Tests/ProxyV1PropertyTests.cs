using System.Net;
using System.Text;
using CsCheck;

namespace ToaProxy.Protocol.Tests;

public class ProxyV1PropertyTests
{
    [Fact]
    public void Every_header_round_trips()
    {
        ProxyGenerators.Header.Sample(header =>
        {
            byte[] buffer = new byte[ProxyV1Writer.MaxLength];
            int written = ProxyV1Writer.Write(header, buffer);
            ProxyV1ReadResult result = ProxyV1Reader.Read(buffer.AsSpan(0, written));

            Assert.Equal(ProxyReadStatus.Complete, result.Status);
            Assert.Equal(written, result.HeaderLength);
            // v1 has no LOCAL: it is written as UNKNOWN, which reads back as PROXY/UNSPEC.
            Assert.Equal(header.HasAddresses ? header : ProxyHeader.Unknown, result.Header);
            for (int length = 0; length < written; length++)
            {
                Assert.Equal(ProxyReadStatus.NeedMoreData, ProxyV1Reader.Read(buffer.AsSpan(0, length)).Status);
            }
        }, iter: 2000);
    }

    [Fact]
    public void IPv6_text_agrees_with_System_Net_in_both_directions()
    {
        ProxyGenerators.IPv6.Sample(address =>
        {
            var line = $"PROXY TCP6 {address.ToIPAddress()} ::1 1 2\r\n";
            ProxyV1ReadResult parsed = ProxyV1Reader.Read(Encoding.ASCII.GetBytes(line));
            Assert.Equal(ProxyReadStatus.Complete, parsed.Status);
            Assert.Equal(address, parsed.Header.Source);

            byte[] buffer = new byte[ProxyV1Writer.MaxLength];
            int written = ProxyV1Writer.Write(ProxyHeader.Tcp(address, 1, address, 2), buffer);
            string ours = Encoding.ASCII.GetString(buffer, 0, written).Split(' ')[2];
            Assert.Equal(address, NetAddress.FromIPAddress(IPAddress.Parse(ours)));
        }, iter: 5000);
    }

    [Fact]
    public void Any_IPv6_text_we_accept_System_Net_reads_as_the_same_address()
    {
        Gen.Char["0123456789abcdefABCDEF:.:::"].Array[0, 46].Select(chars => new string(chars)).Sample(text =>
        {
            ProxyV1ReadResult result = ProxyV1Reader.Read(Encoding.ASCII.GetBytes($"PROXY TCP6 {text} ::1 1 2\r\n"));
            Assert.True(result.Status != ProxyReadStatus.NeedMoreData);
            if (result.IsComplete)
            {
                Assert.True(IPAddress.TryParse(text, out IPAddress? parsed), text);
                Assert.Equal(NetAddress.FromIPAddress(parsed), result.Header.Source);
            }
        }, iter: 50_000);
    }
}
