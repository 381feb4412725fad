using System.Net;
using ToaProxy.Capture.Emulation;
using ToaProxy.Testing;
using ToaProxy.Tests.EndToEnd;

namespace ToaProxy.Tests.Packaging;

/// <summary>
/// The published binary run the way the packages run it — as an unprivileged user holding only the
/// one capability its capture backend needs (CAP_NET_RAW for afpacket and pcap, CAP_NET_ADMIN for
/// nfqueue, which also installs its own iptables rule) — still captures TOA and gives nginx the real
/// client. Two ways in: ambient capabilities (the systemd unit) and a file capability on the binary
/// (the Docker image).
/// </summary>
public sealed class NonRootCaptureTests
{
    private const int CapNetAdmin = 12;
    private const int CapNetRaw = 13;
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(15);

    [SkippableTheory]
    [InlineData("afpacket", "ambient")]
    [InlineData("afpacket", "file-capability")]
    [InlineData("pcap", "ambient")]
    [InlineData("nfqueue", "ambient")]
    public async Task As_nobody_with_only_the_backends_capability_capture_delivers_the_real_client(string backend, string grant)
    {
        Requires.Root();
        Requires.Command("iptables");
        string setpriv = Requires.Command("setpriv");
        (string capability, int bit) = backend == "nfqueue" ? ("net_admin", CapNetAdmin) : ("net_raw", CapNetRaw);
        using var nginx = NginxBackend.Start();
        int port = FreePort.Allocate();
        DirectoryInfo? copy = null;
        try
        {
            string executable = PublishedToaproxy.ExecutablePath;
            string[] launcher = [setpriv, "--reuid=nobody", "--regid=nogroup", "--init-groups", $"--bounding-set=-all,+{capability}"];
            if (grant == "ambient")
            {
                // As systemd's AmbientCapabilities= does it.
                launcher = [.. launcher, $"--inh-caps=-all,+{capability}", $"--ambient-caps=+{capability}"];
            }
            else
            {
                // As the Dockerfile's "setcap cap_net_raw+ep /app/toaproxy" does it, on a copy of the publish output.
                copy = CopyWithFileCapability(Requires.Command("setcap"));
                executable = Path.Combine(copy.FullName, "toaproxy");
            }

            await using var lb = LoadBalancerEmulator.Start(port, ToaOptionWriters.Kind200V4(DerivedClient.V4), ToaInjectionPackets.Syn);
            using var proxy = ToaproxyProcess.StartUnder(launcher, executable, ProxyConfig.Create(port, nginx.Port, backend, queueNumber: KernelIds.NextQueue()));

            (int uid, ulong effective) = ProcessCredentials.Read(proxy.Process.Id);
            Assert.Equal(65534, uid);
            Assert.Equal(1UL << bit, effective);

            (IPEndPoint local, string response) = await HttpThroughProxy.GetAsync(new IPEndPoint(IPAddress.Loopback, port), Step);
            Assert.Contains(nginx.Body, response);
            BackendLogRecord? record = nginx.WaitForRecord(r => r.Client?.Port == local.Port, Step);
            Assert.True(record is not null, $"{nginx.Describe()}\n{proxy.Describe()}");
            Assert.Equal(DerivedClient.V4Address(local.Port), record!.Client!.Address);
        }
        finally
        {
            copy?.Delete(recursive: true);
        }
    }

    private static DirectoryInfo CopyWithFileCapability(string setcap)
    {
        DirectoryInfo copy = Directory.CreateTempSubdirectory("toaproxy-image-");
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(copy.FullName, (UnixFileMode)0b111_101_101);
        }

        foreach (string file in Directory.EnumerateFiles(PublishedToaproxy.DirectoryPath, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(copy.FullName, Path.GetRelativePath(PublishedToaproxy.DirectoryPath, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        using ExternalProcess grant = ExternalProcess.Start(setcap, ["cap_net_raw+ep", Path.Combine(copy.FullName, "toaproxy")]);
        Assert.True(grant.WaitForExit(TimeSpan.FromSeconds(10)) && grant.ExitCode == 0, grant.Describe());
        return copy;
    }
}
