using System.Runtime.InteropServices;
using ToaProxy.Capture.AfPacket;
using ToaProxy.Capture.Linux;

namespace ToaProxy.Capture.Tests.AfPacket;

/// <summary>
/// The ring reader over memory laid out as the kernel writes a TPACKET_V2 ring: 2 blocks of 3 slots
/// of 128 bytes, two writers at once. Statuses are set by the test as the kernel would.
/// </summary>
public sealed unsafe class PacketRingTests : IDisposable
{
    private const int FrameSize = 128;
    private const int FramesPerBlock = 3;
    private const int Frames = 6;
    private const int ProtReadWrite = 3;
    private const int MapPrivateAnonymous = 0x22;
    private const int MapFixedNoReplace = 0x100000;

    private readonly nuint _length = (nuint)(2 * PacketRing.BlockBytes);
    private readonly byte* _memory;
    private readonly PacketRing _ring;

    public PacketRingTests()
    {
        _memory = (byte*)LinuxLibC.Mmap(null, _length, ProtReadWrite, MapPrivateAnonymous, -1, 0);
        Assert.True(_memory != (byte*)-1, $"mmap failed: errno {Marshal.GetLastPInvokeError()}");
        _ring = new PacketRing(_memory, _length, FrameSize, FramesPerBlock, Frames, writersAtOnce: 2);
    }

    public void Dispose() => _ring.Dispose();

    [Fact]
    public void Disposing_twice_unmaps_once()
    {
        _ring.Dispose();
        byte* other = (byte*)LinuxLibC.Mmap(_memory, _length, ProtReadWrite, MapPrivateAnonymous | MapFixedNoReplace, -1, 0);
        Assert.True(other == _memory, $"could not map the freed range again: errno {Marshal.GetLastPInvokeError()}");
        try
        {
            // Whatever now lives at the ring's old address stays mapped through a second dispose.
            other[0] = 42;
            _ring.Dispose();
            Assert.Equal(42, other[0]);
        }
        finally
        {
            LinuxLibC.Munmap(other, _length);
        }
    }

    [Fact]
    public void An_untouched_ring_is_empty()
    {
        Assert.Equal(RingSlot.Empty, _ring.Peek(out _));
    }

    [Fact]
    public void Ready_slots_are_read_in_order_across_blocks_and_wrap_around()
    {
        for (int round = 0; round < 2; round++)
        {
            for (int i = 0; i < Frames; i++)
            {
                Write(i, (byte)(10 * round + i));
            }

            for (int i = 0; i < Frames; i++)
            {
                Assert.Equal(RingSlot.Ready, _ring.Peek(out Span<byte> packet));
                Assert.Equal(4, packet.Length);
                Assert.Equal((byte)(10 * round + i), packet[0]);
                _ring.Release();
                Assert.Equal(0u, Status(i));
            }

            Assert.Equal(RingSlot.Empty, _ring.Peek(out _));
        }
    }

    [Fact]
    public void A_slot_still_being_written_before_a_ready_one_is_filling_not_empty()
    {
        // Two CPUs reserved slots 0 and 1; the packet in slot 1 finished first.
        Write(1, 7);
        Assert.Equal(RingSlot.Filling, _ring.Peek(out _));

        Write(0, 6);
        Assert.Equal(RingSlot.Ready, _ring.Peek(out Span<byte> first));
        Assert.Equal(6, first[0]);
        _ring.Release();
        Assert.Equal(RingSlot.Ready, _ring.Peek(out Span<byte> second));
        Assert.Equal(7, second[0]);
        _ring.Release();
        Assert.Equal(RingSlot.Empty, _ring.Peek(out _));
    }

    [Fact]
    public void A_ready_slot_beyond_the_writers_in_flight_is_not_mistaken_for_a_gap()
    {
        // The reader looks ahead only as many slots as there are writers: slot 3 ready behind three
        // unready ones is not something two writers produce, so it does not wait for it.
        Write(3, 9);
        Assert.Equal(RingSlot.Empty, _ring.Peek(out _));
    }

    [Fact]
    public void A_snap_length_beyond_the_slot_is_clipped_to_the_slot()
    {
        Write(0, 1, snapLength: 4096);
        Assert.Equal(RingSlot.Ready, _ring.Peek(out Span<byte> packet));
        Assert.Equal(FrameSize - PacketRing.PacketStart, packet.Length);
    }

    private byte* Frame(int index) => _memory + ((index / FramesPerBlock) * PacketRing.BlockBytes) + ((index % FramesPerBlock) * FrameSize);

    private uint Status(int index) => Volatile.Read(ref *(uint*)Frame(index));

    private void Write(int index, byte firstByte, uint snapLength = 4)
    {
        byte* frame = Frame(index);
        *(uint*)(frame + 8) = snapLength;
        *(ushort*)(frame + 14) = (ushort)PacketRing.PacketStart;
        frame[PacketRing.PacketStart] = firstByte;
        Volatile.Write(ref *(uint*)frame, 1u);
    }
}
