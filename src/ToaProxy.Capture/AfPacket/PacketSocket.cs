using System.ComponentModel;
using System.Runtime.InteropServices;
using ToaProxy.Capture.Bpf;
using ToaProxy.Capture.Linux;

namespace ToaProxy.Capture.AfPacket;

/// <summary>
/// An AF_PACKET SOCK_DGRAM socket with a classic BPF program attached and a TPACKET_V2 receive ring
/// (<see cref="PacketRing"/>). Cooked (DGRAM) rather than RAW: every packet then starts at its IP
/// header whatever the device, so one filter program and one link type
/// (<see cref="ToaProxy.Protocol.LinkType.RawIp"/>) serve Ethernet, lo, tunnels and "any" alike.
/// Packets arrive in the ring; the socket itself is read only to collect an error (link down).
/// </summary>
internal sealed unsafe class PacketSocket : IDisposable
{
    private readonly FileDescriptorHandle _handle;
    private readonly Lock _statisticsGate = new();
    private long _kernelDrops;

    private PacketSocket(FileDescriptorHandle handle, int interfaceIndex, PacketRing ring)
    {
        _handle = handle;
        InterfaceIndex = interfaceIndex;
        Ring = ring;
    }

    public PacketRing Ring { get; }

    /// <summary>0 when bound to every interface.</summary>
    public int InterfaceIndex { get; }

    public FileDescriptorHandle Handle => _handle;

    /// <summary>
    /// Opens the socket with protocol 0, so the kernel queues nothing to it, attaches the filter and
    /// the ring, and only then binds to ETH_P_ALL: no unfiltered packet can slip in before the filter.
    /// </summary>
    public static PacketSocket Open(string interfaceName, ReadOnlySpan<BpfInstruction> program, int ringFrames, int snapLength)
    {
        int interfaceIndex = 0;
        if (interfaceName != AfPacketCaptureOptions.AnyInterface)
        {
            interfaceIndex = (int)LinuxLibC.IfNameToIndex(interfaceName);
            if (interfaceIndex == 0)
            {
                throw OpenError(interfaceName, "no such interface", Marshal.GetLastPInvokeError());
            }
        }

        int fd = LinuxLibC.Socket(LinuxLibC.AfPacket, LinuxLibC.SockDgram | LinuxLibC.SockNonBlock | LinuxLibC.SockCloExec, 0);
        if (fd < 0)
        {
            throw OpenError(interfaceName, "socket(AF_PACKET) failed", Marshal.GetLastPInvokeError());
        }

        var handle = new FileDescriptorHandle(fd);
        PacketRing? ring = null;
        try
        {
            AttachFilter(fd, interfaceName, program);
            IgnoreOutgoing(fd, interfaceName);
            ring = PacketRing.Create(fd, ringFrames, snapLength, out int errno, out string failedCall)
                ?? throw OpenError(interfaceName, $"{failedCall} failed", errno);
            Bind(fd, interfaceName, interfaceIndex);
            return new PacketSocket(handle, interfaceIndex, ring);
        }
        catch
        {
            ring?.Dispose();
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Adds the kernel's drop count since the last read (PACKET_STATISTICS resets on read) to the
    /// running total and returns it. Safe from any thread, also after disposal.
    /// </summary>
    public long ReadKernelDrops()
    {
        lock (_statisticsGate)
        {
            if (_handle.IsClosed)
            {
                return _kernelDrops;
            }

            // struct tpacket_stats { unsigned tp_packets; unsigned tp_drops; }
            ulong stats = 0;
            int length = sizeof(ulong);
            if (LinuxLibC.GetSockOpt(_handle.Fd, LinuxLibC.SolPacket, LinuxLibC.PacketStatistics, &stats, ref length) == 0)
            {
                _kernelDrops += (uint)(stats >> 32);
            }

            return _kernelDrops;
        }
    }

    /// <summary>Only once no thread reads the ring any more (the backend's receive gate is closed).</summary>
    public void Dispose()
    {
        ReadKernelDrops();
        lock (_statisticsGate)
        {
            Ring.Dispose();
            _handle.Dispose();
        }
    }

    private static void AttachFilter(int fd, string interfaceName, ReadOnlySpan<BpfInstruction> program)
    {
        fixed (BpfInstruction* instructions = program)
        {
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; }; the kernel copies the program.
            SocketFilterProgram fprog = new() { Length = (ushort)program.Length, Instructions = instructions };
            if (LinuxLibC.SetSockOpt(fd, LinuxLibC.SolSocket, LinuxLibC.SoAttachFilter, &fprog, sizeof(SocketFilterProgram)) != 0)
            {
                throw OpenError(interfaceName, "SO_ATTACH_FILTER failed", Marshal.GetLastPInvokeError());
            }
        }
    }

    /// <summary>
    /// PACKET_IGNORE_OUTGOING: the kernel then skips this socket for every packet the host sends,
    /// before it would clone the packet for it (the filter drops them too, but only after that clone,
    /// which on lo is every packet of every local connection). Linux before 4.20 lacks the option;
    /// there the filter alone keeps them out, at that cost.
    /// </summary>
    private static void IgnoreOutgoing(int fd, string interfaceName)
    {
        int one = 1;
        if (LinuxLibC.SetSockOpt(fd, LinuxLibC.SolPacket, LinuxLibC.PacketIgnoreOutgoing, &one, sizeof(int)) != 0
            && Marshal.GetLastPInvokeError() is var errno && errno != LinuxLibC.ENoProtoOpt)
        {
            throw OpenError(interfaceName, "PACKET_IGNORE_OUTGOING failed", errno);
        }
    }

    private static void Bind(int fd, string interfaceName, int interfaceIndex)
    {
        // struct sockaddr_ll: family u16, protocol u16 (network order), ifindex i32, hatype u16,
        // pkttype u8, halen u8, addr[8] — 20 bytes.
        byte* address = stackalloc byte[20];
        new Span<byte>(address, 20).Clear();
        *(ushort*)address = LinuxLibC.AfPacket;
        *(ushort*)(address + 2) = LinuxLibC.EthPAllNetworkOrder;
        *(int*)(address + 4) = interfaceIndex;
        if (LinuxLibC.Bind(fd, address, 20) != 0)
        {
            throw OpenError(interfaceName, "bind failed", Marshal.GetLastPInvokeError());
        }
    }

    private static IOException OpenError(string interfaceName, string what, int errno)
    {
        var os = new Win32Exception(errno);
        return new IOException($"AF_PACKET capture on interface '{interfaceName}': {what}: {os.Message} (errno {errno}).", os);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SocketFilterProgram
    {
        public ushort Length;
        public BpfInstruction* Instructions;
    }
}
