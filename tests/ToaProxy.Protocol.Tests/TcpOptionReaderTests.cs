using ToaProxy.Protocol;

namespace ToaProxy.Protocol.Tests;

public class TcpOptionReaderTests
{
    private static List<(byte Kind, byte Length, int Offset, byte[] Data)> Walk(byte[] options, out TcpOptionReader end)
    {
        var seen = new List<(byte, byte, int, byte[])>();
        var reader = new TcpOptionReader(options);
        while (reader.MoveNext())
        {
            TcpOption option = reader.Current;
            seen.Add((option.Kind, option.Length, option.Offset, option.Data.ToArray()));
        }

        end = reader;
        return seen;
    }

    [Fact]
    public void Yields_kind_length_options_and_consumes_nops()
    {
        byte[] syn = [2, 4, 0x05, 0xB4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7];

        var seen = Walk(syn, out TcpOptionReader end);

        Assert.False(end.IsMalformed);
        Assert.Equal([(byte)2, (byte)4, (byte)8, (byte)3], seen.Select(option => option.Kind));
        Assert.Equal([0, 4, 6, 17], seen.Select(option => option.Offset));
        Assert.Equal([0x05, 0xB4], seen[0].Data);
        Assert.Empty(seen[1].Data);
        Assert.Equal([7], seen[3].Data);
    }

    [Fact]
    public void End_of_option_list_stops_the_walk_and_trailing_bytes_are_ignored()
    {
        var seen = Walk([2, 4, 0x05, 0xB4, 0, 2, 0, 0xFF], out TcpOptionReader end);

        Assert.Single(seen);
        Assert.False(end.IsMalformed);
    }

    [Theory]
    [InlineData(new byte[] { 1, 1, 2, 0 }, 2, (byte)2, (byte)0)]
    [InlineData(new byte[] { 8, 1, 0, 0 }, 0, (byte)8, (byte)1)]
    [InlineData(new byte[] { 1, 1, 1, 5 }, 3, (byte)5, (byte)0)]
    [InlineData(new byte[] { 2, 4, 5, 0xB4, 8, 10, 0, 0 }, 4, (byte)8, (byte)10)]
    public void Malformed_lengths_stop_the_walk_with_the_fault(byte[] options, int faultOffset, byte kind, byte length)
    {
        var seen = Walk(options, out TcpOptionReader end);

        Assert.True(end.IsMalformed);
        Assert.Equal(faultOffset, end.FaultOffset);
        Assert.Equal(kind, end.FaultKind);
        Assert.Equal(length, end.FaultLength);
        Assert.All(seen, option => Assert.True(option.Offset < faultOffset));
    }

    [Fact]
    public void Works_with_foreach()
    {
        int count = 0;
        foreach (TcpOption option in new TcpOptionReader([1, 254, 8, 0x30, 0x39, 203, 0, 113, 7]))
        {
            Assert.Equal(254, option.Kind);
            Assert.Equal(8, option.Length);
            Assert.Equal(1, option.Offset);
            count++;
        }

        Assert.Equal(1, count);
    }

    [Fact]
    public void An_empty_area_yields_nothing()
    {
        Assert.Empty(Walk([], out TcpOptionReader end));
        Assert.False(end.IsMalformed);
    }
}
