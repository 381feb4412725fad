using System.Runtime.InteropServices;
using ToaProxy.Capture.Linux;

namespace ToaProxy.Capture.AfPacket;

/// <summary>
/// A TPACKET_V2 receive ring mapped from an AF_PACKET socket: the kernel writes each accepted packet
/// into the next frame slot and marks it ready (TP_STATUS_USER) before the packet goes on to the IP
/// stack; the reader takes ready slots in order and hands them back (TP_STATUS_KERNEL). Reading a
/// slot's status is a memory read, so "nothing is waiting" costs no system call. Not thread-safe:
/// the capture backend reads it under its receive gate.
/// </summary>
internal sealed unsafe class PacketRing : IDisposable
{
    private const int BlockSize = 4096;

    private const uint StatusKernel = 0;
    private const uint StatusUser = 1;

    // struct tpacket2_hdr: tp_status u32 @0, tp_len u32 @4, tp_snaplen u32 @8, tp_mac u16 @12, tp_net u16 @14, ...
    private const int SnapLengthOffset = 8;
    private const int NetworkOffset = 14;

    // For SOCK_DGRAM the packet starts at TPACKET_ALIGN(TPACKET2_HDRLEN = 32 + sizeof(sockaddr_ll) 20) + 16 = 80.
    private const int PacketOffset = 80;

    private readonly byte* _base;
    private readonly nuint _length;
    private readonly int _frameSize;
    private readonly int _framesPerBlock;
    private readonly int _frameCount;

    // At most one packet per CPU is being written at any moment, so a gap is never wider than this.
    private readonly int _writersAtOnce;
    private int _head;
    private int _disposed;

    /// <summary>A ring over <paramref name="mapping"/>, which must come from mmap(2): disposal unmaps it.</summary>
    internal PacketRing(byte* mapping, nuint length, int frameSize, int framesPerBlock, int frameCount, int writersAtOnce)
    {
        _base = mapping;
        _length = length;
        _frameSize = frameSize;
        _framesPerBlock = framesPerBlock;
        _frameCount = frameCount;
        _writersAtOnce = writersAtOnce;
    }

    /// <summary>Bytes of one block: one page, so the kernel needs no high-order allocation.</summary>
    internal static int BlockBytes => BlockSize;

    /// <summary>Where a slot's packet starts for a SOCK_DGRAM socket.</summary>
    internal static int PacketStart => PacketOffset;

    public int FrameCount => _frameCount;

    /// <summary>
    /// Sets up and maps a ring of at least <paramref name="frames"/> slots of <paramref name="snapLength"/>
    /// bytes each on a socket not yet bound. Returns the errno and the call that failed otherwise.
    /// </summary>
    public static PacketRing? Create(int fd, int frames, int snapLength, out int errno, out string failedCall)
    {
        int version = LinuxLibC.TPacketV2;
        if (LinuxLibC.SetSockOpt(fd, LinuxLibC.SolPacket, LinuxLibC.PacketVersion, &version, sizeof(int)) != 0)
        {
            (errno, failedCall) = (Marshal.GetLastPInvokeError(), "PACKET_VERSION TPACKET_V2");
            return null;
        }

        int frameSize = (PacketOffset + snapLength + 15) & ~15;
        int framesPerBlock = BlockSize / frameSize;
        int blocks = (frames + framesPerBlock - 1) / framesPerBlock;
        var request = new RingRequest
        {
            BlockSize = BlockSize,
            BlockCount = (uint)blocks,
            FrameSize = (uint)frameSize,
            FrameCount = (uint)(blocks * framesPerBlock),
        };
        if (LinuxLibC.SetSockOpt(fd, LinuxLibC.SolPacket, LinuxLibC.PacketRxRing, &request, sizeof(RingRequest)) != 0)
        {
            (errno, failedCall) = (Marshal.GetLastPInvokeError(), "PACKET_RX_RING");
            return null;
        }

        nuint length = (nuint)blocks * BlockSize;
        void* mapping = LinuxLibC.Mmap(null, length, LinuxLibC.ProtRead | LinuxLibC.ProtWrite, LinuxLibC.MapShared, fd, 0);
        if (mapping == (void*)-1)
        {
            (errno, failedCall) = (Marshal.GetLastPInvokeError(), "mmap of the receive ring");
            return null;
        }

        (errno, failedCall) = (0, string.Empty);
        return new PacketRing((byte*)mapping, length, frameSize, framesPerBlock, (int)request.FrameCount, Math.Max(1, Environment.ProcessorCount));
    }

    /// <summary>
    /// The next packet (its IP header onwards) when <see cref="RingSlot.Ready"/>. The kernel reserves
    /// slots in order but packets received on several CPUs at once may finish out of order, so an
    /// unready slot followed by a ready one is <see cref="RingSlot.Filling"/>: a packet that arrived
    /// earlier is still being written into it, and the ring is not empty.
    /// </summary>
    public RingSlot Peek(out Span<byte> packet)
    {
        packet = default;
        byte* frame = Frame(_head);
        if ((Volatile.Read(ref *(uint*)frame) & StatusUser) == 0)
        {
            for (int ahead = 1; ahead <= _writersAtOnce; ahead++)
            {
                if ((Volatile.Read(ref *(uint*)Frame((_head + ahead) % _frameCount)) & StatusUser) != 0)
                {
                    return RingSlot.Filling;
                }
            }

            return RingSlot.Empty;
        }

        uint snapLength = *(uint*)(frame + SnapLengthOffset);
        ushort network = *(ushort*)(frame + NetworkOffset);
        int room = _frameSize - network;
        packet = new Span<byte>(frame + network, (int)Math.Min(snapLength, (uint)Math.Max(room, 0)));
        return RingSlot.Ready;
    }

    /// <summary>Hands the slot <see cref="Peek"/> returned as ready back to the kernel and moves to the next.</summary>
    public void Release()
    {
        Volatile.Write(ref *(uint*)Frame(_head), StatusKernel);
        _head = _head + 1 == _frameCount ? 0 : _head + 1;
    }

    /// <summary>Unmaps the ring, once: a second munmap could unmap whatever was mapped there since.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            LinuxLibC.Munmap(_base, _length);
        }
    }

    private byte* Frame(int index) =>
        _base + ((nint)(index / _framesPerBlock) * BlockSize) + ((index % _framesPerBlock) * _frameSize);

    [StructLayout(LayoutKind.Sequential)]
    private struct RingRequest
    {
        public uint BlockSize;
        public uint BlockCount;
        public uint FrameSize;
        public uint FrameCount;
    }
}
