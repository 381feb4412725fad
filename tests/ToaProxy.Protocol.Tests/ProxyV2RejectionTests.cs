using System.Buffers.Binary;

namespace ToaProxy.Protocol.Tests;

public class ProxyV2RejectionTests
{
    public static TheoryData<string> VectorNames => [.. ProxyV2Vectors.All.Select(v => v.Name)];

    [Theory]
    [MemberData(nameof(VectorNames))]
    public void Every_truncation_of_a_valid_header_needs_more_data(string name)
    {
        byte[] header = ProxyV2Vectors.All.Single(v => v.Name == name).Bytes;
        for (int length = 0; length < header.Length; length++)
        {
            ProxyV2ReadResult result = ProxyV2Reader.Read(header.AsSpan(0, length));
            Assert.True(result.Status == ProxyReadStatus.NeedMoreData, $"{name} cut at {length}: {result.Status} {result.Rejection}");
            Assert.Equal(ProxyV2Rejection.None, result.Rejection);
        }

        Assert.Equal(ProxyReadStatus.Complete, ProxyV2Reader.Read(header).Status);
    }

    [Fact]
    public void A_wrong_byte_anywhere_in_the_signature_is_rejected_as_soon_as_it_arrives()
    {
        for (int position = 0; position < ProxyV2Format.SignatureLength; position++)
        {
            byte[] header = ProxyV2Vectors.Inet;
            header[position] ^= 0x20;
            for (int length = position + 1; length <= header.Length; length++)
            {
                Assert.Equal(ProxyV2Rejection.BadSignature, ProxyV2Reader.Read(header.AsSpan(0, length)).Rejection);
            }
        }
    }

    [Fact]
    public void Every_version_but_2_is_rejected()
    {
        for (int version = 0; version < 16; version++)
        {
            byte[] header = ProxyV2Vectors.Inet;
            header[12] = (byte)((version << 4) | 1);
            ProxyV2ReadResult result = ProxyV2Reader.Read(header.AsSpan(0, 13));
            if (version == 2)
            {
                Assert.Equal(ProxyReadStatus.NeedMoreData, result.Status);
            }
            else
            {
                Assert.Equal(ProxyV2Rejection.UnsupportedVersion, result.Rejection);
                Assert.Equal(ProxyV2Rejection.UnsupportedVersion, ProxyV2Reader.Read(header).Rejection);
            }
        }
    }

    [Fact]
    public void Every_command_but_LOCAL_and_PROXY_is_rejected()
    {
        for (int command = 2; command < 16; command++)
        {
            byte[] header = ProxyV2Vectors.Inet;
            header[12] = (byte)(0x20 | command);
            Assert.Equal(ProxyV2Rejection.UnsupportedCommand, ProxyV2Reader.Read(header).Rejection);
            Assert.Equal(ProxyV2Rejection.UnsupportedCommand, ProxyV2Reader.Read(header.AsSpan(0, 13)).Rejection);
        }
    }

    [Fact]
    public void Every_family_and_transport_byte_outside_the_spec_list_is_rejected()
    {
        byte[] known = [0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32];
        for (int value = 0; value < 256; value++)
        {
            // A body long enough for any family, so only byte 14 decides.
            byte[] header = [.. Hex.Bytes(ProxyV2Vectors.Signature + "21"), (byte)value, 0x00, 0xD8, .. new byte[216]];
            ProxyV2ReadResult result = ProxyV2Reader.Read(header);
            if (known.Contains((byte)value))
            {
                Assert.Equal(ProxyReadStatus.Complete, result.Status);
            }
            else
            {
                Assert.Equal(ProxyV2Rejection.UnsupportedFamilyOrTransport, result.Rejection);
                Assert.Equal(ProxyV2Rejection.UnsupportedFamilyOrTransport, ProxyV2Reader.Read(header.AsSpan(0, 14)).Rejection);
            }
        }
    }

    [Theory]
    [InlineData("11", 12)]
    [InlineData("12", 12)]
    [InlineData("21", 36)]
    [InlineData("22", 36)]
    [InlineData("31", 216)]
    public void A_PROXY_length_shorter_than_the_address_block_is_rejected_without_waiting(string family, int blockLength)
    {
        for (int length = 0; length < blockLength; length++)
        {
            byte[] header = [.. Hex.Bytes(ProxyV2Vectors.Signature + "21" + family), (byte)(length >> 8), (byte)length];
            Assert.Equal(ProxyV2Rejection.LengthShorterThanAddresses, ProxyV2Reader.Read(header).Rejection);
        }
    }

    [Fact]
    public void A_TLV_header_cut_by_the_end_of_the_header_is_rejected()
    {
        for (int extra = 1; extra <= 2; extra++)
        {
            byte[] header = ProxyV2Vectors.Inet;
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), (ushort)(12 + extra));
            byte[] input = [.. header, .. new byte[extra]];
            Assert.Equal(ProxyV2Rejection.TruncatedTlvHeader, ProxyV2Reader.Read(input).Rejection);
        }
    }

    [Fact]
    public void A_TLV_value_running_past_the_header_is_rejected_even_when_bytes_follow()
    {
        // Length 12 + 5 covers the TLV header and 2 of the 3 value bytes; the 3rd is payload.
        byte[] input = Hex.Bytes(ProxyV2Vectors.Signature + "21 11 0011 | C0000201 C6336407 | D431 01BB | 01 0003 683211 | 47");
        Assert.Equal(ProxyV2Rejection.TlvBeyondHeader, ProxyV2Reader.Read(input).Rejection);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(5)]
    public void A_CRC32C_TLV_of_the_wrong_length_is_rejected(int valueLength)
    {
        byte[] input = [.. Hex.Bytes(ProxyV2Vectors.Signature + "20 00"), 0, (byte)(3 + valueLength), 0x03, 0, (byte)valueLength, .. new byte[valueLength]];
        Assert.Equal(ProxyV2Rejection.BadCrc32CLength, ProxyV2Reader.Read(input).Rejection);
    }

    [Fact]
    public void A_second_CRC32C_TLV_is_rejected()
    {
        byte[] input = Hex.Bytes(ProxyV2Vectors.Signature + "20 00 000E | 03 0004 00000000 | 03 0004 00000000");
        Assert.Equal(ProxyV2Rejection.DuplicateCrc32C, ProxyV2Reader.Read(input).Rejection);
    }

    [Fact]
    public void Flipping_any_bit_of_a_CRC32C_protected_header_never_yields_a_complete_header()
    {
        const int crcTypePosition = 28;
        byte[] original = ProxyV2Vectors.InetWithTlvs;
        for (int position = 0; position < original.Length; position++)
        {
            if (position == crcTypePosition)
            {
                // Changing the TLV's type removes the checksum itself: the protocol cannot notice that.
                continue;
            }

            for (int bit = 0; bit < 8; bit++)
            {
                byte[] header = (byte[])original.Clone();
                header[position] ^= (byte)(1 << bit);
                ProxyV2ReadResult result = ProxyV2Reader.Read(header);
                Assert.True(result.Status != ProxyReadStatus.Complete, $"byte {position} bit {bit} went unnoticed");
            }
        }
    }

    [Fact]
    public void A_CRC32C_mismatch_is_reported_as_such()
    {
        byte[] header = ProxyV2Vectors.InetWithTlvs;
        header[20] ^= 0xFF; // a source address byte
        Assert.Equal(ProxyV2Rejection.Crc32CMismatch, ProxyV2Reader.Read(header).Rejection);
    }

    [Fact]
    public void UNIQUE_ID_of_128_bytes_is_accepted_and_129_rejected()
    {
        Assert.Equal(ProxyReadStatus.Complete, ProxyV2Reader.Read(LocalWithTlv(0x05, 128)).Status);
        Assert.Equal(ProxyV2Rejection.UniqueIdTooLong, ProxyV2Reader.Read(LocalWithTlv(0x05, 129)).Rejection);
    }

    [Fact]
    public void AUTHORITY_of_255_bytes_is_accepted_and_256_rejected()
    {
        Assert.Equal(ProxyReadStatus.Complete, ProxyV2Reader.Read(LocalWithTlv(0x02, 255)).Status);
        Assert.Equal(ProxyV2Rejection.AuthorityTooLong, ProxyV2Reader.Read(LocalWithTlv(0x02, 256)).Rejection);
    }

    [Fact]
    public void Unknown_and_experimental_TLV_types_are_skipped()
    {
        foreach (byte type in new byte[] { 0x00, 0x06, 0x20, 0x30, 0xE0, 0xEF, 0xF0, 0xFF })
        {
            byte[] input = LocalWithTlv(type, 10);
            ProxyV2ReadResult result = ProxyV2Reader.Read(input);
            Assert.Equal(ProxyReadStatus.Complete, result.Status);
            Assert.True(result.TryGetTlv(input, type, out ReadOnlySpan<byte> value));
            Assert.Equal(10, value.Length);
        }
    }

    [Fact]
    public void Random_bytes_never_throw_and_a_rejection_always_has_a_reason()
    {
        var random = new Random(20261125);
        byte[] buffer = new byte[300];
        for (int i = 0; i < 20_000; i++)
        {
            int length = random.Next(buffer.Length + 1);
            random.NextBytes(buffer.AsSpan(0, length));
            // Half the inputs start with a valid signature and version, to reach the deeper checks.
            if (i % 2 == 0 && length >= 13)
            {
                Hex.Bytes(ProxyV2Vectors.Signature + "21").CopyTo(buffer, 0);
                buffer[12] = (byte)(0x20 | (buffer[13] & 1));
            }

            AssertConsistent(ProxyV2Reader.Read(buffer.AsSpan(0, length)), length);
        }
    }

    internal static void AssertConsistent(ProxyV2ReadResult result, int inputLength)
    {
        switch (result.Status)
        {
            case ProxyReadStatus.Invalid:
                Assert.NotEqual(ProxyV2Rejection.None, result.Rejection);
                break;
            case ProxyReadStatus.NeedMoreData:
                Assert.Equal(ProxyV2Rejection.None, result.Rejection);
                break;
            default:
                Assert.Equal(ProxyV2Rejection.None, result.Rejection);
                Assert.InRange(result.HeaderLength, ProxyV2Format.FixedHeaderLength, inputLength);
                Assert.InRange(result.TlvOffset + result.TlvLength, 0, result.HeaderLength);
                break;
        }
    }

    private static byte[] LocalWithTlv(byte type, int valueLength)
    {
        int body = 3 + valueLength;
        return [.. Hex.Bytes(ProxyV2Vectors.Signature + "20 00"), (byte)(body >> 8), (byte)body, type, (byte)(valueLength >> 8), (byte)valueLength, .. new byte[valueLength]];
    }
}
