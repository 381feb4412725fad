using System.Buffers.Binary;
using System.Net;
using CsCheck;
using ToaProxy.Protocol;
using static ToaProxy.Protocol.Tests.TcpOptionBytes;

namespace ToaProxy.Protocol.Tests;

/// <summary>CsCheck properties: no input makes the parsers throw, and generated TOA options round-trip.</summary>
public class PropertyTests
{
    private static readonly LinkType[] LinkTypes = [LinkType.Ethernet, LinkType.LinuxSll, LinkType.LinuxSll2, LinkType.RawIp, (LinkType)0];

    // Bytes that steer random data towards the interesting branches: option kinds, EtherTypes, IP versions.
    private static readonly Gen<byte> InterestingByte = Gen.OneOf(
        Gen.Byte,
        Gen.OneOf<byte>(0, 1, 2, 3, 4, 6, 8, 20, 28, 40, 43, 44, 60, 0x45, 0x60, 0x81, 0x86, 0xDD, 0xF9, 0x89, 200, 201, 202, 249, 250, 252, 253, 254));

    private static readonly Gen<byte[]> CommonOption = Gen.OneOf(Mss, SackPermitted, Timestamps, Nop, WindowScale);

    private static readonly Gen<byte[]> NonToaOptions = CommonOption.Array[0, 5].Select(parts => Concat(parts));

    // A kind-254 option whose port is 0xF989 is read as a TCP Fast Open cookie, by design.
    private static readonly Gen<ushort> ClientPort = Gen.UShort[1, ushort.MaxValue].Where(port => port != 0xF989);

    private static readonly Gen<FrameShape> Shape = Gen.OneOf(Enum.GetValues<FrameShape>());

    [Fact]
    public void TryRead_never_throws_on_random_bytes()
    {
        Gen.Select(InterestingByte.Array[0, 120], Gen.OneOf(LinkTypes)).Sample((frame, linkType) =>
        {
            FrameParseStatus status = TcpFrameReader.TryRead(frame, linkType, out TcpSegment segment);
            AssertConsistent(frame, status, segment);
        }, iter: 20_000);
    }

    [Fact]
    public void TryRead_never_throws_on_mutated_valid_frames()
    {
        Gen<(byte[] Frame, LinkType LinkType)> mutated =
            Gen.Select(ValidFrame(), Gen.Select(Gen.Int[0, 200], InterestingByte).Array[1, 4], Gen.Int[0, 300])
                .Select((valid, edits, keep) =>
                {
                    byte[] frame = (byte[])valid.Frame.Clone();
                    foreach ((int position, byte value) in edits)
                    {
                        frame[position % frame.Length] = value;
                    }

                    return (frame[..Math.Min(keep, frame.Length)], valid.LinkType);
                });

        mutated.Sample(sample =>
        {
            FrameParseStatus status = TcpFrameReader.TryRead(sample.Frame, sample.LinkType, out TcpSegment segment);
            AssertConsistent(sample.Frame, status, segment);
        }, iter: 20_000);
    }

    [Fact]
    public void Option_walker_stays_inside_the_area()
    {
        InterestingByte.Array[0, 40].Sample(options =>
        {
            int end = 0;
            var reader = new TcpOptionReader(options);
            while (reader.MoveNext())
            {
                TcpOption option = reader.Current;
                Assert.True(option.Offset >= end && option.Length >= 2);
                Assert.True(option.Offset + option.Length <= options.Length);
                Assert.Equal(option.Length - 2, option.Data.Length);
                end = option.Offset + option.Length;
            }

            Assert.True(!reader.IsMalformed || reader.FaultOffset >= end);
        }, iter: 20_000);
    }

    [Fact]
    public void Scan_never_throws_and_reports_a_valid_result()
    {
        Gen.Select(InterestingByte.Array[0, 40], Gen.Int[0, 3], Gen.Bool).Sample((options, capacity, all) =>
        {
            var destination = new ToaOption[capacity];
            ToaScanResult result = ToaDecoder.Scan(options, all ? ToaOptionTable.All : ToaOptionTable.Default, destination);

            Assert.True(Enum.IsDefined(result.Status));
            Assert.InRange(result.Count, 0, capacity);
            Assert.True(result.Status != ToaScanStatus.None || result.Count == 0);
            Assert.True(result.Status != ToaScanStatus.Found || capacity == 0 || result.Count > 0);
            Assert.All(destination[..result.Count], option => Assert.True(option.HasClient || option.HasVip || option.HasVpcId));
        }, iter: 20_000);
    }

    [Fact]
    public void A_generated_client_option_in_a_generated_frame_round_trips()
    {
        Gen<(byte Kind, bool IPv6)> clientKind = Gen.OneOf(((byte)200, false), ((byte)254, false), ((byte)254, true), ((byte)253, true));
        Gen.Select(clientKind, Gen.Byte.Array[16], ClientPort, NonToaOptions, NonToaOptions, Shape, Gen.Bool, Gen.Int[0, 50])
            .Sample((kind, address, port, before, after, shape, ipv6Packet, payloadLength) =>
            {
                address[0] = 0x20; // never unspecified, never IPv4-mapped
                byte[] addressBytes = kind.IPv6 ? address : address[..4];
                byte[] toa = [kind.Kind, (byte)(4 + addressBytes.Length), (byte)(port >> 8), (byte)port, .. addressBytes];
                byte[] options = Concat(before, toa, after);
                if (options.Length > 40)
                {
                    options = toa;
                }

                byte[] tcp = HandBuiltFrame.Tcp(options, payloadLength);
                byte[] frame = HandBuiltFrame.Wrap(shape, ipv6Packet ? HandBuiltFrame.IPv6(tcp) : HandBuiltFrame.IPv4(tcp));

                Assert.Equal(FrameParseStatus.Ok, TcpFrameReader.TryRead(frame, HandBuiltFrame.LinkTypeOf(shape), out TcpSegment segment));
                Assert.Equal(payloadLength, segment.PayloadLength);
                Span<ToaOption> found = stackalloc ToaOption[2];
                ToaScanResult result = ToaDecoder.Scan(segment.Options, ToaOptionTable.Default, found);

                Assert.Equal(new ToaScanResult(ToaScanStatus.Found, 1, 0, 0), result);
                Assert.Equal(new IPAddress(addressBytes), found[0].Client.ToIPAddress());
                Assert.Equal(port, found[0].ClientPort);
                Assert.Equal(kind.Kind, found[0].Kind);
            });
    }

    [Fact]
    public void Every_layout_round_trips_from_bytes_written_per_the_notes()
    {
        Gen<byte[]> address4 = Gen.Byte.Array[4].Select(bytes => { bytes[0] = 198; return bytes; });
        Gen<byte[]> address6 = Gen.Byte.Array[16].Select(bytes => { bytes[0] = 0x20; return bytes; });
        Gen.Select(Gen.OneOf(ToaOptionTable.All.Specs.ToArray()), ClientPort, Gen.UShort[1, ushort.MaxValue], Gen.UInt, address4, address6, address4, address6)
            .Sample((spec, port, vipPort, vpcId, client4, client6, vip4, vip6) =>
            {
                byte[] p = [(byte)(port >> 8), (byte)port];
                byte[] vp = [(byte)(vipPort >> 8), (byte)vipPort];
                byte[] vpc = [(byte)(vpcId >> 24), (byte)(vpcId >> 16), (byte)(vpcId >> 8), (byte)vpcId];
                byte[] body = spec.Layout switch
                {
                    ToaLayout.ClientV4 => [.. p, .. client4],
                    ToaLayout.ClientV6 => [.. p, .. client6],
                    ToaLayout.ClientV4WithVip => [.. p, .. client4, 0, 0, .. vp, .. vip4],
                    ToaLayout.VipV4 => [.. vp, .. vip4],
                    ToaLayout.VpcId => vpc,
                    ToaLayout.ClientV4VpcVip => [.. p, .. client4, .. vpc, .. vip4, .. vp, 0, 0],
                    ToaLayout.ClientV6VpcVip => [.. p, .. client6, .. vpc[1..], 0, .. vip6],
                    _ => spec.Length == 7 ? [1, .. client4] : [1, .. client6],
                };
                byte[] option = [spec.Kind, spec.Length, .. body];
                Assert.Equal(spec.Length, option.Length);

                var found = new ToaOption[1];
                ToaScanResult result = ToaDecoder.Scan(Concat(Nop, option), ToaOptionTable.All, found);

                Assert.Equal(new ToaScanResult(ToaScanStatus.Found, 1, 0, 0), result);
                ToaOption decoded = found[0];
                Assert.Equal(spec.Layout, decoded.Layout);
                bool v6Client = spec.Layout is ToaLayout.ClientV6 or ToaLayout.ClientV6VpcVip || spec.Length == 19;
                if (decoded.HasClient)
                {
                    Assert.Equal(new IPAddress(v6Client ? client6 : client4), decoded.Client.ToIPAddress());
                    Assert.Equal(spec.Layout == ToaLayout.CdnClient ? 0 : port, decoded.ClientPort);
                }

                if (decoded.HasVip)
                {
                    Assert.Equal(new IPAddress(spec.Layout == ToaLayout.ClientV6VpcVip ? vip6 : vip4), decoded.Vip.ToIPAddress());
                    Assert.Equal(spec.Layout == ToaLayout.ClientV6VpcVip ? 0 : vipPort, decoded.VipPort);
                }

                if (decoded.HasVpcId)
                {
                    Assert.Equal(spec.Layout == ToaLayout.ClientV6VpcVip ? vpcId & 0xFFFFFF : vpcId, decoded.VpcId);
                }

                Assert.Equal(spec.Layout is not (ToaLayout.VipV4 or ToaLayout.VpcId), decoded.HasClient);
                Assert.Equal(spec.Layout is ToaLayout.ClientV4WithVip or ToaLayout.VipV4 or ToaLayout.ClientV4VpcVip or ToaLayout.ClientV6VpcVip, decoded.HasVip);
                Assert.Equal(spec.Layout is ToaLayout.VpcId or ToaLayout.ClientV4VpcVip or ToaLayout.ClientV6VpcVip, decoded.HasVpcId);
            });
    }

    [Fact]
    public void Stripping_generated_packets_keeps_them_valid_and_toa_free()
    {
        Gen.Select(NonToaOptions, NonToaOptions, ClientPort, Gen.Byte.Array[0, 64], Gen.Bool)
            .Sample((before, after, port, payload, ipv6) =>
            {
                byte[] toa = [254, 8, (byte)(port >> 8), (byte)port, 198, 51, 100, 7];
                byte[] options = Concat(before, toa, after);
                if (options.Length > 40)
                {
                    options = toa;
                }

                byte[] packet = ipv6
                    ? PacketDotNetFrame.IPv6("2001:db8::a", "2001:db8::b", options, payload).Bytes
                    : PacketDotNetFrame.IPv4("192.0.2.10", "192.0.2.20", options, payload).Bytes;

                Assert.True(ToaOptionStripper.Strip(packet, ToaOptionTable.Default));

                Assert.True(TcpChecksum.Verify(packet));
                Assert.True(PacketDotNetFrame.HasValidTcpChecksum(packet));
                Assert.Equal(FrameParseStatus.Ok, TcpFrameReader.TryRead(packet, LinkType.RawIp, out TcpSegment segment));
                Assert.Equal(ToaScanResult.None, ToaDecoder.Scan(segment.Options, ToaOptionTable.Default, new ToaOption[1]));
            }, iter: 2_000);
    }

    [Fact]
    public void Stripper_and_checksum_never_throw_on_random_packets()
    {
        InterestingByte.Array[0, 100].Sample(packet =>
        {
            TcpChecksum.TryCompute(packet, out _);
            TcpChecksum.Verify(packet);
            ToaOptionStripper.Strip(packet, ToaOptionTable.All);
        }, iter: 20_000);
    }

    private static Gen<(byte[] Frame, LinkType LinkType)> ValidFrame() =>
        Gen.Select(NonToaOptions, Shape, Gen.Int[0, 3], Gen.Int[0, 20]).Select((options, shape, variant, payloadLength) =>
        {
            byte[] tcp = HandBuiltFrame.Tcp(Concat(Toa254V4, options.Length > 32 ? [] : options), payloadLength);
            byte[] ip = variant switch
            {
                0 => HandBuiltFrame.IPv4(tcp),
                1 => HandBuiltFrame.IPv4(tcp, ipOptions: [1, 1, 1, 0]),
                2 => HandBuiltFrame.IPv6(tcp),
                _ => HandBuiltFrame.IPv6(tcp, (0, new byte[6]), (43, new byte[14]), (60, new byte[6])),
            };
            return (HandBuiltFrame.Wrap(shape, ip), HandBuiltFrame.LinkTypeOf(shape));
        });

    private static void AssertConsistent(byte[] frame, FrameParseStatus status, TcpSegment segment)
    {
        Assert.True(Enum.IsDefined(status));
        if (status != FrameParseStatus.Ok)
        {
            return;
        }

        Assert.True(segment.IpVersion is 4 or 6);
        Assert.InRange(segment.IpOffset, 0, segment.TcpOffset - 20);
        Assert.True(segment.TcpOffset + 20 + segment.Options.Length <= frame.Length);
        Assert.Equal(0, segment.Options.Length % 4);
        Assert.InRange(segment.Options.Length, 0, 40);
        Assert.True(segment.PayloadLength >= 0);
        Assert.Equal(BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(segment.TcpOffset)), segment.SourcePort);
    }
}
