using System.Net;
using ToaProxy.Protocol;

namespace ToaProxy.Protocol.Tests;

public class NetAddressTests
{
    private static NetAddress Parse(string text) => NetAddress.FromIPAddress(IPAddress.Parse(text));

    [Fact]
    public void IPv4_and_its_mapped_form_are_the_same_value()
    {
        NetAddress v4 = NetAddress.FromIPv4([192, 0, 2, 1]);
        NetAddress mapped = Parse("::ffff:192.0.2.1");

        Assert.Equal(v4, mapped);
        Assert.True(v4 == mapped);
        Assert.Equal(v4.GetHashCode(), mapped.GetHashCode());
        Assert.True(mapped.IsIPv4);
        Assert.Equal(0xC0000201u, mapped.IPv4Value);
        Assert.Equal(System.Net.Sockets.AddressFamily.InterNetwork, mapped.Family);
        Assert.NotEqual(Parse("::192.0.2.1"), v4);
    }

    [Theory]
    [InlineData("192.0.2.1")]
    [InlineData("0.0.0.0")]
    [InlineData("255.255.255.255")]
    [InlineData("2001:db8::1")]
    [InlineData("::")]
    [InlineData("fe80::1:2:3:4")]
    public void Round_trips_to_IPAddress(string text)
    {
        IPAddress address = IPAddress.Parse(text);

        Assert.Equal(address, Parse(text).ToIPAddress());
        Assert.Equal(text, Parse(text).ToString());
    }

    [Fact]
    public void Mapped_addresses_come_back_as_plain_ipv4()
    {
        Assert.Equal(IPAddress.Parse("192.0.2.1"), Parse("::ffff:192.0.2.1").ToIPAddress());
    }

    [Fact]
    public void Writes_four_or_sixteen_bytes()
    {
        var buffer = new byte[16];

        Assert.Equal(4, Parse("192.0.2.1").WriteBytes(buffer));
        Assert.Equal([192, 0, 2, 1], buffer[..4]);
        Assert.Equal(16, Parse("2001:db8::1").WriteBytes(buffer));
        Parse("192.0.2.1").WriteIPv6Bytes(buffer);
        Assert.Equal(IPAddress.Parse("::ffff:192.0.2.1").GetAddressBytes(), buffer);
    }

    [Theory]
    [InlineData("10.1.2.3", "10.1.2.0", 120, true)] // IPv4 /24
    [InlineData("10.1.3.3", "10.1.2.0", 120, false)]
    [InlineData("10.1.2.3", "10.0.0.0", 104, true)] // IPv4 /8
    [InlineData("11.1.2.3", "10.0.0.0", 104, false)]
    [InlineData("10.1.2.3", "10.1.2.3", 128, true)]
    [InlineData("10.1.2.4", "10.1.2.3", 128, false)]
    [InlineData("10.1.2.3", "0.0.0.0", 96, true)] // every IPv4 address
    [InlineData("2001:db8::1", "0.0.0.0", 96, false)]
    [InlineData("2001:db8:1::1", "2001:db8::", 32, true)]
    [InlineData("2001:db9::1", "2001:db8::", 32, false)]
    [InlineData("2001:db8:0:0:8000::1", "2001:db8::", 65, false)]
    [InlineData("2001:db8:0:0:7fff::1", "2001:db8::", 65, true)]
    [InlineData("2001:db8::1", "2001:db8::", 64, true)]
    [InlineData("2001:db8::1", "::", 0, true)]
    public void IsInPrefix_counts_bits_on_the_128_bit_form(string address, string network, int prefixLength, bool expected)
    {
        Assert.Equal(expected, Parse(address).IsInPrefix(Parse(network), prefixLength));
    }
}
