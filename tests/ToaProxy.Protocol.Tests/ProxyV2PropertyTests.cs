using System.Buffers.Binary;
using CsCheck;

namespace ToaProxy.Protocol.Tests;

public class ProxyV2PropertyTests
{
    [Fact]
    public void Every_header_and_TLV_combination_round_trips()
    {
        Gen.Select(ProxyGenerators.Header, ProxyGenerators.Tlvs).Sample((header, tlvs) =>
        {
            byte[] bytes = Write(header, tlvs);
            ProxyV2ReadResult result = ProxyV2Reader.Read(bytes);

            Assert.Equal(ProxyReadStatus.Complete, result.Status);
            Assert.Equal(bytes.Length, result.HeaderLength);
            Assert.Equal(header, result.Header);
            Assert.Equal(ExpectedFamily(header), result.Header.Family);

            var seen = new List<(byte Type, byte[] Value)>();
            foreach (ProxyV2TlvEntry tlv in result.EnumerateTlvs(bytes))
            {
                seen.Add((tlv.Type, tlv.Value.ToArray()));
            }

            if (tlvs.Crc32C)
            {
                Assert.Equal((byte)ProxyV2TlvType.Crc32C, seen[0].Type);
                // Independent check: the bitwise CRC over the header with the field zeroed.
                byte[] zeroed = (byte[])bytes.Clone();
                int crcOffset = result.TlvOffset + ProxyV2Format.TlvHeaderLength;
                zeroed.AsSpan(crcOffset, 4).Clear();
                Assert.Equal(BitwiseCrc32C.Compute(zeroed), BinaryPrimitives.ReadUInt32BigEndian(seen[0].Value));
                seen.RemoveAt(0);
            }

            Assert.Equal(tlvs.ExpectedWithoutCrc().Select(Describe), seen.Select(Describe));
        }, iter: 2000);
    }

    [Fact]
    public void Every_truncation_of_a_generated_header_needs_more_data()
    {
        Gen.Select(ProxyGenerators.Header, ProxyGenerators.Tlvs).Sample((header, tlvs) =>
        {
            byte[] bytes = Write(header, tlvs);
            for (int length = 0; length < bytes.Length; length++)
            {
                Assert.Equal(ProxyReadStatus.NeedMoreData, ProxyV2Reader.Read(bytes.AsSpan(0, length)).Status);
            }
        }, iter: 200);
    }

    [Fact]
    public void Payload_after_the_header_is_not_part_of_it()
    {
        Gen.Select(ProxyGenerators.Header, ProxyGenerators.Tlvs, Gen.Byte.Array[1, 64]).Sample((header, tlvs, payload) =>
        {
            byte[] bytes = Write(header, tlvs);
            ProxyV2ReadResult result = ProxyV2Reader.Read([.. bytes, .. payload]);
            Assert.Equal(ProxyReadStatus.Complete, result.Status);
            Assert.Equal(bytes.Length, result.HeaderLength);
        }, iter: 500);
    }

    [Fact]
    public void Mutated_headers_never_throw()
    {
        Gen.Select(ProxyGenerators.Header, ProxyGenerators.Tlvs, Gen.Int.Array[1, 6], Gen.Byte).Sample((header, tlvs, positions, value) =>
        {
            byte[] bytes = Write(header, tlvs);
            foreach (int position in positions)
            {
                bytes[(int)((uint)position % (uint)bytes.Length)] = value;
            }

            ProxyV2RejectionTests.AssertConsistent(ProxyV2Reader.Read(bytes), bytes.Length);
        }, iter: 3000);
    }

    [Fact]
    public void TryWrite_reports_a_short_buffer_instead_of_throwing()
    {
        Gen.Select(ProxyGenerators.Header, ProxyGenerators.Tlvs).Sample((header, tlvs) =>
        {
            int length = ProxyV2Writer.GetLength(header, tlvs.ToSet());
            var buffer = new byte[length - 1];
            Assert.False(ProxyV2Writer.TryWrite(header, tlvs.ToSet(), buffer, out int written));
            Assert.Equal(0, written);
        }, iter: 200);
    }

    [Fact]
    public void Writing_allocates_nothing()
    {
        ProxyHeader header = ProxyHeader.Tcp(ProxyV2Vectors.Client6, 40000, ProxyV2Vectors.Server4, 443);
        ProxyV2CustomTlv[] custom = [new(0xEA, "vpce-0123456789"u8.ToArray())];
        byte[] buffer = new byte[512];
        WriteWithAllTlvs(header, custom, buffer); // JIT and static initialisation first.

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            WriteWithAllTlvs(header, custom, buffer);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Reading_allocates_nothing()
    {
        byte[] header = ProxyV2Vectors.InetWithTlvs;
        int count = CountTlvs(header);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            count += CountTlvs(header);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(count > 0);
    }

    [Fact]
    public void Writer_refuses_what_the_spec_or_HAProxy_would_reject()
    {
        ProxyHeader header = ProxyHeader.Local;
        byte[] buffer = new byte[70_000];
        Assert.Throws<ArgumentException>(() => ProxyV2Writer.Write(header, new ProxyV2TlvSet { UniqueId = new byte[129] }, buffer));
        Assert.Throws<ArgumentException>(() => ProxyV2Writer.Write(header, new ProxyV2TlvSet { Authority = new byte[256] }, buffer));
        Assert.Throws<ArgumentException>(() => ProxyV2Writer.Write(header, new ProxyV2TlvSet { NoopLength = -1 }, buffer));
        Assert.Throws<ArgumentException>(() => ProxyV2Writer.Write(header, new ProxyV2TlvSet { Custom = new ProxyV2CustomTlv[] { new(0xDF, new byte[1]) } }, buffer));
        Assert.Throws<ArgumentException>(() => ProxyV2Writer.Write(header, new ProxyV2TlvSet { Custom = new ProxyV2CustomTlv[] { new(0xF0, new byte[1]) } }, buffer));
        Assert.Throws<ArgumentException>(() => ProxyV2Writer.Write(header, new ProxyV2TlvSet { Alpn = new byte[ushort.MaxValue - 2] }, buffer));
        Assert.Throws<ArgumentException>(() => ProxyV2Writer.Write(header, new byte[15]));

        byte[] unix = [.. Hex.Bytes(ProxyV2Vectors.Signature + "21 31 00D8"), .. new byte[216]];
        ProxyHeader unixHeader = ProxyV2Reader.Read(unix).Header;
        Assert.Throws<ArgumentException>(() => ProxyV2Writer.Write(unixHeader, buffer));
    }

    private static int CountTlvs(byte[] header)
    {
        int count = 0;
        foreach (ProxyV2TlvEntry tlv in ProxyV2Reader.Read(header).EnumerateTlvs(header))
        {
            count += tlv.Type;
        }

        return count;
    }

    private static void WriteWithAllTlvs(ProxyHeader header, ProxyV2CustomTlv[] custom, byte[] buffer)
    {
        var tlvs = new ProxyV2TlvSet
        {
            Crc32C = true,
            Alpn = "h2"u8,
            Authority = "example.com"u8,
            UniqueId = "0123456789abcdef"u8,
            Custom = custom,
            NoopLength = 4,
        };
        ProxyV2Writer.Write(header, tlvs, buffer);
    }

    private static ProxyAddressFamily ExpectedFamily(ProxyHeader header) => header.Command == ProxyCommand.Local || !header.HasAddresses
        ? ProxyAddressFamily.Unspecified
        : header.Source.IsIPv4 && header.Destination.IsIPv4 ? ProxyAddressFamily.Inet : ProxyAddressFamily.Inet6;

    private static string Describe((byte Type, byte[] Value) tlv) => $"{tlv.Type:X2}:{Convert.ToHexString(tlv.Value)}";

    private static byte[] Write(ProxyHeader header, GeneratedTlvs tlvs)
    {
        var buffer = new byte[ProxyV2Writer.GetLength(header, tlvs.ToSet())];
        Assert.Equal(buffer.Length, ProxyV2Writer.Write(header, tlvs.ToSet(), buffer));
        return buffer;
    }
}
