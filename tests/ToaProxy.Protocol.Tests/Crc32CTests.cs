using System.Text;

namespace ToaProxy.Protocol.Tests;

public class Crc32CTests
{
    [Fact]
    public void Check_value_of_123456789_is_the_published_one()
    {
        // RFC 3720 / the CRC catalogue give 0xE3069283 for CRC-32C("123456789").
        Assert.Equal(0xE306_9283u, BitwiseCrc32C.Compute("123456789"u8));
        Assert.Equal(0xE306_9283u, Crc32C.Compute("123456789"u8));
    }

    [Fact]
    public void Matches_the_bitwise_implementation_at_every_length_and_split()
    {
        byte[] data = Encoding.ASCII.GetBytes("The quick brown fox jumps over the lazy dog, 0123456789");
        for (int length = 0; length <= data.Length; length++)
        {
            ReadOnlySpan<byte> slice = data.AsSpan(0, length);
            uint expected = BitwiseCrc32C.Compute(slice);
            Assert.Equal(expected, Crc32C.Compute(slice));
            for (int split = 0; split <= length; split++)
            {
                uint state = Crc32C.Append(Crc32C.InitialState, slice[..split]);
                Assert.Equal(expected, Crc32C.Finish(Crc32C.Append(state, slice[split..])));
            }
        }
    }
}
