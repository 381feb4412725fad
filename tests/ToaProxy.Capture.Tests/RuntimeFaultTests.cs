using System.Diagnostics;
using ToaProxy.Capture.Tests.Support;
using ToaProxy.Testing;

namespace ToaProxy.Capture.Tests;

/// <summary>Removing the captured interface stops a backend with a fault instead of leaving it silently deaf.</summary>
public sealed class RuntimeFaultTests
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

        var waited = Stopwatch.StartNew();
        while (backend.IsRunning && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20, timeout.Token);
        }

        Assert.False(backend.IsRunning);
        var fault = Assert.IsType<IOException>(backend.Fault);
        Assert.Contains(veth.Name, fault.Message);
        Assert.True(backend.WaitForDrainAsync(timeout.Token).IsCompletedSuccessfully);
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

    private static void RunIp(string ip, params string[] arguments)
    {
        using var process = Process.Start(ip, arguments);
        Assert.True(process.WaitForExit(10_000));
        Assert.Equal(0, process.ExitCode);
    }
}
