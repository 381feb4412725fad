using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using ToaProxy.Capture.Iptables;
using ToaProxy.Testing;

namespace ToaProxy.Tests.EndToEnd;

/// <summary>The README's first command: `toaproxy demo` shows the emulated clients arriving at the sample backend.</summary>
public sealed partial class DemoTests
{
    [SkippableFact]
    public void The_demo_shows_every_emulated_client_arriving_at_the_backend_and_cleans_up()
    {
        Requires.Root();
        Requires.Command("iptables");
        var directory = Directory.CreateTempSubdirectory("toaproxy-demo-");
        try
        {
            // The shipped config, moved to free ports so the test never collides with a running proxy.
            string shipped = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "config", "toaproxy.json"));
            var config = JsonNode.Parse(shipped, documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip })!;
            int port = FreePort.Allocate();
            config["ToaProxy"]!["Listeners"]![0]!["Listen"] = $"127.0.0.1:{port}";
            config["ToaProxy"]!["Listeners"]![0]!["Upstream"] = $"127.0.0.1:{FreePort.Allocate()}";
            config["ToaProxy"]!["Admin"]!["Listen"] = "off";
            string path = Path.Combine(directory.FullName, "toaproxy.json");
            File.WriteAllText(path, config.ToJsonString());

            using ExternalProcess demo = ExternalProcess.Start(PublishedToaproxy.ExecutablePath, ["demo", "--config", path, "--count", "6", "--interval", "100ms"]);

            Assert.True(demo.WaitForExit(TimeSpan.FromSeconds(60)), demo.Describe());
            Assert.Equal(0, demo.ExitCode);
            var said = demo.StandardOutput.Select(l => ClientSaid().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
            var arrived = demo.StandardOutput.Select(l => BackendGot().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
            Assert.Equal(6, said.Count);
            Assert.Equal(said.Order(), arrived.Order());
            Assert.Contains(said, c => c.StartsWith('['));
            Assert.Empty(IptablesRuleSet.ListTagged("demo"));
        }
        finally
        {
            IptablesRuleSet.RemoveAllTagged("demo");
            directory.Delete(recursive: true);
        }
    }

    [GeneratedRegex(@"real client is (\S+) \(TOA kind")]
    private static partial Regex ClientSaid();

    [GeneratedRegex(@"^backend: PROXY header says real client (\S+) \(PROXY v2\)")]
    private static partial Regex BackendGot();
}
