using System.Diagnostics;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using ToaProxy.Capture.Netlink;
using ToaProxy.Capture.Nfqueue;
using ToaProxy.Capture.Tests.Support;
using ToaProxy.Testing;

namespace ToaProxy.Capture.Tests;

/// <summary>A capture whose socket fails at runtime stops with a fault instead of leaving it silently deaf.</summary>
public sealed partial class RuntimeFaultTests
{
    [SkippableTheory]
    [InlineData(TestCaptureBackends.AfPacket)]
    [InlineData(TestCaptureBackends.Pcap)]
    public async Task RemovingTheInterfaceSetsFaultAndStops(string kind)
    {
        Requires.Root();
        string ip = Requires.Command("ip");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var veth = VethPair.Create(ip);
        await using var backend = TestCaptureBackends.Create(kind, veth.Name, 80);
        await backend.StartAsync(new CollectingFrameSink(), timeout.Token);
        await backend.WaitForDrainAsync(timeout.Token);
        Assert.True(backend.IsRunning);

        veth.Delete();

        await WaitUntilStoppedAsync(backend, timeout.Token);

        Assert.False(backend.IsRunning);
        var fault = Assert.IsType<IOException>(backend.Fault);
        Assert.Contains(veth.Name, fault.Message);
        Assert.True(backend.WaitForDrainAsync(timeout.Token).IsCompletedSuccessfully);
        await backend.StopAsync(timeout.Token);
    }

    [SkippableFact]
    public async Task NfqueueSocketErrorSetsFaultAndStops()
    {
        Requires.Root();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var backend = new NfqueueCaptureBackend(new NfqueueCaptureOptions { QueueNumber = KernelTestIds.NextQueue(), ManageRules = false });
        await backend.StartAsync(new CollectingFrameSink(), timeout.Token);
        Assert.True(backend.IsRunning);

        // Nothing outside the process can break a bound netlink socket, so the test puts /dev/null
        // over its descriptor: the next receive fails with ENOTSOCK, a real socket error.
        using SafeFileHandle devNull = File.OpenHandle("/dev/null");
        int fd = (int)NetlinkSocketOf(backend).Handle;
        Assert.True(Dup2((int)devNull.DangerousGetHandle(), fd) == fd, $"dup2 failed: errno {Marshal.GetLastPInvokeError()}");

        await WaitUntilStoppedAsync(backend, timeout.Token);

        Assert.False(backend.IsRunning);
        var fault = Assert.IsType<SocketException>(backend.Fault);
        Assert.Equal(SocketError.NotSocket, fault.SocketErrorCode);
        await backend.StopAsync(timeout.Token);
    }

    [SkippableFact]
    public async Task AfPacketSurvivesTheInterfaceGoingDownAndUp()
    {
        Requires.Root();
        string ip = Requires.Command("ip");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var veth = VethPair.Create(ip);
        await using var backend = TestCaptureBackends.Create(TestCaptureBackends.AfPacket, veth.Name, 80);
        await backend.StartAsync(new CollectingFrameSink(), timeout.Token);

        RunIp(ip, "link", "set", veth.Name, "down");
        await Task.Delay(500, timeout.Token);
        RunIp(ip, "link", "set", veth.Name, "up");
        await Task.Delay(500, timeout.Token);
        await backend.WaitForDrainAsync(timeout.Token);

        Assert.True(backend.IsRunning);
        Assert.Null(backend.Fault);
        Assert.True(backend.ReadStatistics().ReadErrors >= 1, "the ENETDOWN should be counted");
    }

    /// <summary>Until the backend has stopped on its own, at most 10 s; the caller asserts that it did.</summary>
    private static async Task WaitUntilStoppedAsync(ICaptureBackend backend, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (backend.IsRunning && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20, cancellationToken);
        }
    }

    // The fields are found by type, not name: backend -> NfqueueSocket -> NetlinkSocket -> Socket.
    private static Socket NetlinkSocketOf(NfqueueCaptureBackend backend)
    {
        object queue = FieldOfType(backend, typeof(NfqueueSocket));
        object netlink = FieldOfType(queue, typeof(NetlinkSocket));
        return (Socket)FieldOfType(netlink, typeof(Socket));
    }

    private static object FieldOfType(object owner, Type type) =>
        owner.GetType().GetFields(BindingFlags.Instance | BindingFlags.NonPublic)
            .Single(f => f.FieldType == type).GetValue(owner)
        ?? throw new InvalidOperationException($"{owner.GetType().Name} holds no {type.Name}");

    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static partial int Dup2(int oldFd, int newFd);

    private static void RunIp(string ip, params string[] arguments)
    {
        using var process = Process.Start(ip, arguments);
        Assert.True(process.WaitForExit(10_000));
        Assert.Equal(0, process.ExitCode);
    }
}
