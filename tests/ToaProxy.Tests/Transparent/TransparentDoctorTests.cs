using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ToaProxy.Testing;
using ToaProxy.Tests.EndToEnd;

namespace ToaProxy.Tests.Transparent;

/// <summary><c>toaproxy doctor</c> on transparent listeners, inside a namespace the test creates: the
/// reply routing missing (FAIL when set up by hand, OK when the proxy manages it), and in place
/// once the commands doctor prints as the fix have been run.</summary>
public sealed partial class TransparentDoctorTests : IDisposable
{
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

    private static string Doctor(NetworkNamespace ns, string configPath)
    {
        using ExternalProcess doctor = ExternalProcess.Start(
            ns.Launcher[0], [.. ns.Launcher.Skip(1), PublishedToaproxy.ExecutablePath, "doctor", "--config", configPath, "--capture-seconds", "0"]);
        Assert.True(doctor.WaitForExit(TimeSpan.FromSeconds(30)), doctor.Describe());
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
