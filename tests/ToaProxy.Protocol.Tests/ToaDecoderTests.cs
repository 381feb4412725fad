using ToaProxy.Protocol;

namespace ToaProxy.Protocol.Tests;

/// <summary>Every layout decoded from bytes written by hand from the notes' table (not by our encoder).</summary>
public class ToaDecoderTests
{
    private static ToaScanResult Scan(byte[] options, out ToaOption[] found, ToaOptionTable? table = null, int capacity = 4)
    {
        var destination = new ToaOption[capacity];
        ToaScanResult result = ToaDecoder.Scan(options, table ?? ToaOptionTable.Default, destination);
        found = destination[..result.Count];
        return result;
    }

    private static ToaOption Single(byte[] options, ToaOptionTable? table = null)
    {
        ToaScanResult result = Scan(options, out ToaOption[] found, table);
        Assert.Equal(new ToaScanResult(ToaScanStatus.Found, 1, 0, 0), result);
        return found[0];
    }

    [Theory]
    [InlineData((byte)200)]
    [InlineData((byte)254)]
    public void Client_v4_port_then_address(byte kind)
    {
        ToaOption option = Single([kind, 8, 0x30, 0x39, 203, 0, 113, 7]);

        Assert.Equal(kind, option.Kind);
        Assert.Equal(8, option.Length);
        Assert.Equal(ToaLayout.ClientV4, option.Layout);
        Assert.True(option.HasClient);
        Assert.Equal("203.0.113.7", option.Client.ToString());
        Assert.True(option.Client.IsIPv4);
        Assert.Equal(12345, option.ClientPort);
        Assert.False(option.HasVip);
        Assert.False(option.HasVpcId);
    }

    [Fact]
    public void Client_v4_253_8_only_when_opted_in()
    {
        byte[] akamai = [253, 8, 0x00, 0x50, 198, 51, 100, 1];

        ToaOption option = Single(akamai, ToaOptionTable.All);

        Assert.Equal("198.51.100.1", option.Client.ToString());
        Assert.Equal(80, option.ClientPort);
        Assert.Equal(new ToaScanResult(ToaScanStatus.Malformed, 0, 253, 8), Scan(akamai, out _));
    }

    [Theory]
    [InlineData((byte)254)]
    [InlineData((byte)253)]
    public void Client_v6_port_then_address(byte kind)
    {
        ToaOption option = Single([kind, 20, 0xFF, 0xFE, 0x20, 0x01, 0x0D, 0xB8, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0xAB, 0xCD]);

        Assert.Equal(ToaLayout.ClientV6, option.Layout);
        Assert.Equal("2001:db8:1234::abcd", option.Client.ToString());
        Assert.Equal(65534, option.ClientPort);
    }

    [Fact]
    public void Client_v6_carrying_a_nat64_mapped_ipv4_reads_as_ipv4()
    {
        ToaOption option = Single([254, 20, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 192, 0, 2, 1]);

        Assert.True(option.Client.IsIPv4);
        Assert.Equal("192.0.2.1", option.Client.ToString());
        Assert.Equal(256, option.ClientPort);
    }

    [Fact]
    public void Client_v4_with_vip_254_16()
    {
        ToaOption option = Single([254, 16, 0x30, 0x39, 203, 0, 113, 7, 0, 0, 0x01, 0xBB, 198, 51, 100, 10]);

        Assert.Equal(ToaLayout.ClientV4WithVip, option.Layout);
        Assert.Equal("203.0.113.7", option.Client.ToString());
        Assert.Equal(12345, option.ClientPort);
        Assert.True(option.HasVip);
        Assert.Equal("198.51.100.10", option.Vip.ToString());
        Assert.Equal(443, option.VipPort);
    }

    [Theory]
    [InlineData((byte)202)]
    [InlineData((byte)250)]
    public void Vip_v4_only(byte kind)
    {
        ToaOption option = Single([kind, 8, 0x00, 0x50, 198, 51, 100, 10]);

        Assert.Equal(ToaLayout.VipV4, option.Layout);
        Assert.False(option.HasClient);
        Assert.True(option.HasVip);
        Assert.Equal("198.51.100.10", option.Vip.ToString());
        Assert.Equal(80, option.VipPort);
    }

    [Fact]
    public void Vpc_id_201_6_after_two_nops()
    {
        ToaOption option = Single([1, 1, 201, 6, 0x00, 0x01, 0xE2, 0x40]);

        Assert.Equal(ToaLayout.VpcId, option.Layout);
        Assert.False(option.HasClient);
        Assert.False(option.HasVip);
        Assert.True(option.HasVpcId);
        Assert.Equal(123456u, option.VpcId);
    }

    [Fact]
    public void Client_v4_vpc_vip_252_20()
    {
        ToaOption option = Single(
            [252, 20, 0x30, 0x39, 203, 0, 113, 7, 0x00, 0x00, 0x04, 0xD2, 10, 0, 0, 5, 0x1F, 0x90, 0, 0]);

        Assert.Equal(ToaLayout.ClientV4VpcVip, option.Layout);
        Assert.Equal("203.0.113.7", option.Client.ToString());
        Assert.Equal(12345, option.ClientPort);
        Assert.Equal(1234u, option.VpcId);
        Assert.Equal("10.0.0.5", option.Vip.ToString());
        Assert.Equal(8080, option.VipPort);
        Assert.True(option.HasClient && option.HasVip && option.HasVpcId);
    }

    [Fact]
    public void Client_v6_vpc_vip_249_40()
    {
        byte[] bytes =
        [
            249, 40, 0x30, 0x39,
            0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07,
            0x01, 0x02, 0x03, 0xFF,
            0xFD, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05,
        ];

        ToaOption option = Single(bytes);

        Assert.Equal(ToaLayout.ClientV6VpcVip, option.Layout);
        Assert.Equal("2001:db8::7", option.Client.ToString());
        Assert.Equal(12345, option.ClientPort);
        Assert.Equal(0x010203u, option.VpcId);
        Assert.Equal("fd00::5", option.Vip.ToString());
        Assert.Equal(0, option.VipPort);
    }

    [Fact]
    public void Cdn_client_28_7_and_28_19_when_opted_in()
    {
        ToaOption v4 = Single([28, 7, 1, 203, 0, 113, 7], ToaOptionTable.All);
        ToaOption v6 = Single([28, 19, 1, 0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9], ToaOptionTable.All);

        Assert.Equal(ToaLayout.CdnClient, v4.Layout);
        Assert.Equal("203.0.113.7", v4.Client.ToString());
        Assert.Equal(0, v4.ClientPort);
        Assert.Equal("2001:db8::9", v6.Client.ToString());
    }

    [Fact]
    public void Kind_28_is_user_timeout_unless_opted_in()
    {
        Assert.Equal(ToaScanResult.None, Scan([28, 4, 0x80, 0x3C], out _));
        Assert.Equal(ToaScanResult.None, Scan([28, 7, 1, 203, 0, 113, 7], out _));
    }

    [Fact]
    public void Cdn_client_with_a_version_other_than_1_is_malformed()
    {
        Assert.Equal(new ToaScanResult(ToaScanStatus.Malformed, 0, 28, 7), Scan([28, 7, 2, 203, 0, 113, 7], out _, ToaOptionTable.All));
    }

    [Theory]
    [InlineData(new byte[] { 254, 8, 0xF9, 0x89, 1, 2, 3, 4 })] // TFO cookie of 4 bytes: TOA's own length
    [InlineData(new byte[] { 254, 4, 0xF9, 0x89 })] // TFO cookie request
    [InlineData(new byte[] { 254, 12, 0xF9, 0x89, 1, 2, 3, 4, 5, 6, 7, 8 })]
    public void Tcp_fast_open_experimental_cookie_is_skipped(byte[] fastOpen)
    {
        Assert.Equal(ToaScanResult.None, Scan(fastOpen, out _));

        ToaOption after = Single([.. fastOpen, 254, 8, 0x30, 0x39, 203, 0, 113, 7]);
        Assert.Equal("203.0.113.7", after.Client.ToString());
    }

    [Fact]
    public void After_the_syn_a_254_option_starting_f9_89_is_toa_for_client_port_63881()
    {
        byte[] options = [254, 8, 0xF9, 0x89, 203, 0, 113, 7];
        Span<ToaOption> found = new ToaOption[2];

        ToaScanResult onSyn = ToaDecoder.Scan(options, ToaOptionTable.Default, found, isSyn: true);
        ToaScanResult onAck = ToaDecoder.Scan(options, ToaOptionTable.Default, found, isSyn: false);

        Assert.Equal(ToaScanResult.None, onSyn);
        Assert.Equal(ToaScanStatus.Found, onAck.Status);
        Assert.Equal(63881, found[0].ClientPort);
        Assert.Equal("203.0.113.7", found[0].Client.ToString());
    }

    [Theory]
    [InlineData(new byte[] { 254, 12, 0x30, 0x39, 203, 0, 113, 7, 0, 0, 0, 0 }, (byte)254, (byte)12)]
    [InlineData(new byte[] { 200, 20, 0x30, 0x39, 0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 }, (byte)200, (byte)20)]
    [InlineData(new byte[] { 201, 8, 0, 0, 0, 1, 0, 0 }, (byte)201, (byte)8)]
    public void Enabled_kind_with_unknown_length_is_malformed_not_guessed(byte[] options, byte kind, byte length)
    {
        Assert.Equal(new ToaScanResult(ToaScanStatus.Malformed, 0, kind, length), Scan(options, out _));
    }

    [Fact]
    public void Several_options_in_one_packet_are_all_returned_in_order()
    {
        byte[] options =
        [
            2, 4, 0x05, 0xB4,
            254, 8, 0x30, 0x39, 203, 0, 113, 7,
            1, 1, 201, 6, 0, 0, 0, 42,
            250, 8, 0x01, 0xBB, 198, 51, 100, 10,
        ];

        ToaScanResult result = Scan(options, out ToaOption[] found);

        Assert.Equal(new ToaScanResult(ToaScanStatus.Found, 3, 0, 0), result);
        Assert.Equal([ToaLayout.ClientV4, ToaLayout.VpcId, ToaLayout.VipV4], found.Select(option => option.Layout));
        Assert.Equal(42u, found[1].VpcId);
        Assert.Equal(443, found[2].VipPort);
    }

    [Fact]
    public void Destination_capacity_limits_the_count_but_not_the_checks()
    {
        byte[] twoGood = [254, 8, 0x30, 0x39, 203, 0, 113, 7, 250, 8, 0x01, 0xBB, 198, 51, 100, 10];
        byte[] goodThenBad = [254, 8, 0x30, 0x39, 203, 0, 113, 7, 250, 8, 0x01, 0xBB, 0, 0, 0, 0];

        Assert.Equal(new ToaScanResult(ToaScanStatus.Found, 1, 0, 0), Scan(twoGood, out _, capacity: 1));
        Assert.Equal(new ToaScanResult(ToaScanStatus.Malformed, 1, 250, 8), Scan(goodThenBad, out _, capacity: 1));
    }

    [Fact]
    public void Options_decoded_before_a_fault_are_returned()
    {
        byte[] options = [254, 8, 0x30, 0x39, 203, 0, 113, 7, 200, 6, 0, 0, 0, 0];

        ToaScanResult result = Scan(options, out ToaOption[] found);

        Assert.Equal(new ToaScanResult(ToaScanStatus.Malformed, 1, 200, 6), result);
        Assert.Equal("203.0.113.7", found[0].Client.ToString());
    }

    [Theory]
    [InlineData(new byte[] { 254, 8, 0x30, 0x39, 0, 0, 0, 0 })] // 0.0.0.0
    [InlineData(new byte[] { 254, 8, 0x00, 0x00, 203, 0, 113, 7 })] // port 0
    [InlineData(new byte[] { 253, 20, 0x30, 0x39, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })] // ::
    [InlineData(new byte[] { 254, 20, 0x30, 0x39, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0 })] // ::ffff:0.0.0.0
    [InlineData(new byte[] { 202, 8, 0x01, 0xBB, 0, 0, 0, 0 })] // VIP 0.0.0.0
    [InlineData(new byte[] { 254, 16, 0x30, 0x39, 203, 0, 113, 7, 0, 0, 0x00, 0x00, 198, 51, 100, 10 })] // VIP port 0
    public void Unspecified_address_or_port_zero_is_malformed(byte[] options)
    {
        ToaScanResult result = Scan(options, out _);

        Assert.Equal(ToaScanStatus.Malformed, result.Status);
        Assert.Equal(0, result.Count);
        Assert.Equal(options[0], result.FaultKind);
        Assert.Equal(options[1], result.FaultLength);
    }

    [Fact]
    public void Disabled_kinds_are_ignored()
    {
        ToaOptionTable only200 = ToaOptionTable.Create([new ToaOptionSpec(200, 8, ToaLayout.ClientV4)]);

        Assert.Equal(ToaScanResult.None, Scan([254, 8, 0x30, 0x39, 203, 0, 113, 7], out _, only200));
        Assert.Equal(ToaScanResult.None, Scan([254, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], out _, only200));
        Assert.Equal(ToaScanStatus.Found, Scan([200, 8, 0x30, 0x39, 203, 0, 113, 7], out _, only200).Status);
    }

    [Fact]
    public void Empty_or_ordinary_options_hold_no_toa()
    {
        Assert.Equal(ToaScanResult.None, Scan([], out _));
        Assert.Equal(ToaScanResult.None, Scan([2, 4, 0x05, 0xB4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7], out _));
    }

    [Fact]
    public void Nothing_after_end_of_option_list_is_read()
    {
        Assert.Equal(ToaScanResult.None, Scan([0, 254, 8, 0x30, 0x39, 203, 0, 113, 7], out _));
        Assert.Equal(ToaScanResult.None, Scan([0, 254], out _));
    }

    [Theory]
    [InlineData(new byte[] { 2, 0, 0, 0 }, (byte)2, (byte)0)] // length 0
    [InlineData(new byte[] { 2, 1, 0, 0 }, (byte)2, (byte)1)] // length 1
    [InlineData(new byte[] { 1, 1, 1, 254 }, (byte)254, (byte)0)] // no length byte
    [InlineData(new byte[] { 254, 8, 0x30, 0x39 }, (byte)254, (byte)8)] // runs past the area
    public void A_malformed_option_walk_is_malformed(byte[] options, byte kind, byte length)
    {
        Assert.Equal(new ToaScanResult(ToaScanStatus.Malformed, 0, kind, length), Scan(options, out _));
    }

    [Fact]
    public void Scan_allocates_nothing()
    {
        byte[] options = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 254, 8, 0x30, 0x39, 203, 0, 113, 7];
        var destination = new ToaOption[2];
        ToaDecoder.Scan(options, ToaOptionTable.Default, destination);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            ToaDecoder.Scan(options, ToaOptionTable.Default, destination);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
