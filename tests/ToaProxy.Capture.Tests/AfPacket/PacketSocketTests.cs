using System.Runtime.InteropServices;
using ToaProxy.Capture.AfPacket;
using ToaProxy.Capture.Bpf;
using ToaProxy.Capture.Linux;
using ToaProxy.Testing;

namespace ToaProxy.Capture.Tests.AfPacket;

public sealed unsafe class PacketSocketTests
{
    [SkippableFact]
    public void The_kernel_is_told_not_to_hand_the_socket_outgoing_packets()
    {
        Requires.Root();
        BpfInstruction[] program = CaptureBpfProgram.Build(new CaptureFilter([80]), 128);
        using PacketSocket socket = PacketSocket.Open("lo", program, ringFrames: 64, snapLength: 128);

        int value = 0;
        int length = sizeof(int);
        int result = LinuxLibC.GetSockOpt(socket.Handle.Fd, LinuxLibC.SolPacket, LinuxLibC.PacketIgnoreOutgoing, &value, ref length);

        Assert.True(result == 0, $"getsockopt(PACKET_IGNORE_OUTGOING): errno {Marshal.GetLastPInvokeError()}");
        Assert.Equal(1, value);
    }
}
