using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ToaProxy.Capture;
using ToaProxy.Configuration;
using ToaProxy.Testing;
using ToaProxy.Tests.EndToEnd;
using ToaProxy.Transparent;

namespace ToaProxy.Tests.Transparent;

/// <summary><c>toaproxy doctor</c> on transparent listeners, inside a namespace the test creates: the
/// reply routing missing (FAIL when set up by hand, OK when the proxy manages it), and in place
/// once the commands doctor prints as the fix have been run.</summary>
public sealed partial class TransparentDoctorTests : IDisposable
{
    /// <summary>doctor's worst case on these configs: the upstream connect (ConnectTimeout) and the
    /// routing check's queries, bounded together by QueryTimeout; the rest allows for starting the
    /// process on a loaded machine.</summary>
    private static readonly TimeSpan DoctorBound = SettingsCompiler.DefaultConnectTimeout + TransparentRouting.QueryTimeout + TimeSpan.FromSeconds(15);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("toaproxy-tdoctor-");

    public void Dispose() => _directory.Delete(recursive: true);

    [SkippableFact]
    public void Doctor_fails_on_missing_manual_routing_prints_the_commands_and_passes_once_they_ran()
    {
        Requires.Command("iptables");
        using NetworkNamespace ns = NetworkNamespace.CreateWithUplink();
        using Socket backend = ns.Enter(() => PeerNameServer.Listen(ns.IPv4));
        int backendPort = ((System.Net.IPEndPoint)backend.LocalEndPoint!).Port;

        string managed = Doctor(ns, Config(ns, backendPort, manageRules: true));
        Assert.Matches(@"(?m)^OK\s+transparent\s+transparent sockets open; reply routing for IPv4 is not installed now: toaproxy installs it at start", managed);
        Assert.Matches(@"(?m)^OK\s+upstream test\s+.*accepts connections \(transparent", managed);

        string manual = Doctor(ns, Config(ns, backendPort, manageRules: false));
        Assert.Matches(@"(?m)^FAIL\s+transparent\s+reply routing for IPv4 is missing 5 of 5 parts", manual);
        string fix = FixLine().Match(manual).Groups[1].Value;
        string[] commands = fix.Split("; ");
        Assert.Equal(5, commands.Length);
        foreach (string command in commands)
        {
            ns.Exec(command.Split(' '));
        }

        string ready = Doctor(ns, Config(ns, backendPort, manageRules: false));
        Assert.Matches(@"(?m)^OK\s+transparent\s+transparent sockets open; reply routing for IPv4 in place: fwmark 0x7001 -> table 7001", ready);
        Assert.DoesNotContain("FAIL ", ready);
    }

    [SkippableFact]
    public void A_stalled_ip_fails_the_transparent_check_naming_the_command_instead_of_holding_up_doctor()
    {
        Requires.Command("iptables");
        using NetworkNamespace ns = NetworkNamespace.CreateWithUplink();
        using Socket backend = ns.Enter(() => PeerNameServer.Listen(ns.IPv4));
        string stalledIp = Path.Combine(_directory.FullName, "stalled-ip");
        File.WriteAllText(stalledIp, "#!/bin/sh\nexec sleep 60\n");
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(stalledIp, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }

        string output = Doctor(ns, Config(ns, ((System.Net.IPEndPoint)backend.LocalEndPoint!).Port, manageRules: false), stalledIp);

        Assert.Matches(@"(?m)^OK\s+upstream test\s", output);
        Assert.Matches(@"(?m)^FAIL\s+transparent\s+cannot read the reply routing: '\S*/ip -4 rule show' did not finish within 10 s\n\s+fix: find what holds that command up", output);
        Assert.Matches(@"(?m)^doctor: 1 FAIL, 0 WARN, 5 OK$", output);
    }

    /// <summary>Runs doctor in <paramref name="ns"/>; with <paramref name="stalledIp"/>, that script
    /// replaces the ip tool for doctor only (a bind mount inside ip netns exec's own mount namespace).</summary>
    private static string Doctor(NetworkNamespace ns, string configPath, string? stalledIp = null)
    {
        string[] doctorCommand = [PublishedToaproxy.ExecutablePath, "doctor", "--config", configPath, "--capture-seconds", "0"];
        string[] command = stalledIp is null
            ? doctorCommand
            : ["sh", "-c", $"mount --bind {stalledIp} {SystemCommand.Find("ip")} && exec \"$0\" \"$@\"", .. doctorCommand];
        using ExternalProcess doctor = ExternalProcess.Start(ns.Launcher[0], [.. ns.Launcher.Skip(1), .. command]);
        Assert.True(doctor.WaitForExit(DoctorBound), doctor.Describe());
        return string.Join("\n", doctor.StandardOutput);
    }

    private string Config(NetworkNamespace ns, int backendPort, bool manageRules)
    {
        JsonObject section = ProxyConfig.Create(8080, backendPort, "none", listenAddress: ns.IPv4.ToString(), listener: l =>
        {
            l["Upstream"] = $"{ns.IPv4}:{backendPort}";
            l["Protocol"] = "transparent";
        });
        section["Transparent"] = new JsonObject { ["ManageRules"] = manageRules };
        string path = Path.Combine(_directory.FullName, $"toaproxy-{manageRules}.json");
        File.WriteAllText(path, new JsonObject { ["ToaProxy"] = section }.ToJsonString());
        return path;
    }

    [GeneratedRegex(@"(?m)^\s+fix: add what is missing: (.*)$")]
    private static partial Regex FixLine();
}
