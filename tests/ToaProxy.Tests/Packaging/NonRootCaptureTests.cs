using System.Globalization;
using System.Net;
using ToaProxy.Capture.Emulation;
using ToaProxy.Testing;
using ToaProxy.Tests.EndToEnd;

namespace ToaProxy.Tests.Packaging;

/// <summary>
/// The published binary run the way the packages run it — as an unprivileged user holding only
/// CAP_NET_RAW — still captures TOA with afpacket and gives nginx the real client. Two ways in:
/// ambient capabilities (the systemd unit) and a file capability on the binary (the Docker image).
/// </summary>
public sealed class NonRootCaptureTests
{
    private const ulong NetRawOnly = 1UL << 13;
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(15);

    [SkippableTheory]
    [InlineData("ambient")]
    [InlineData("file-capability")]
    public async Task As_nobody_with_only_cap_net_raw_afpacket_capture_delivers_the_real_client(string grant)
    {
        Requires.Root();
        Requires.Command("iptables");
        string setpriv = Requires.Command("setpriv");
        using var nginx = NginxBackend.Start();
        int port = FreePort.Allocate();
        DirectoryInfo? copy = null;
        try
        {
            string executable = PublishedToaproxy.ExecutablePath;
            string[] launcher = [setpriv, "--reuid=nobody", "--regid=nogroup", "--init-groups", "--bounding-set=-all,+net_raw"];
            if (grant == "ambient")
            {
                // As systemd's AmbientCapabilities=CAP_NET_RAW does it.
                launcher = [.. launcher, "--inh-caps=-all,+net_raw", "--ambient-caps=+net_raw"];
            }
            else
            {
                // As the Dockerfile's "setcap cap_net_raw+ep /app/toaproxy" does it, on a copy of the publish output.
                copy = CopyWithFileCapability(Requires.Command("setcap"));
                executable = Path.Combine(copy.FullName, "toaproxy");
            }

            await using var lb = LoadBalancerEmulator.Start(port, ToaOptionWriters.Kind200V4(DerivedClient.V4), ToaInjectionPackets.Syn);
            using var proxy = ToaproxyProcess.StartUnder(launcher, executable, ProxyConfig.Create(port, nginx.Port, "afpacket"));

            (int uid, ulong effective) = Credentials(proxy.Process.Id);
            Assert.Equal(65534, uid);
            Assert.Equal(NetRawOnly, effective);

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

    private static (int Uid, ulong Effective) Credentials(int pid)
    {
        string[] status = File.ReadAllLines($"/proc/{pid}/status");
        int uid = int.Parse(status.First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture);
        ulong effective = ulong.Parse(status.First(l => l.StartsWith("CapEff:", StringComparison.Ordinal))[7..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return (uid, effective);
    }
}
