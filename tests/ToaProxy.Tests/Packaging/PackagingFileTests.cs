using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ToaProxy.Configuration;
using ToaProxy.Testing;

namespace ToaProxy.Tests.Packaging;

/// <summary>
/// What can be checked of deploy/ without Docker or a cluster: the Dockerfile's paths against the
/// repository and the publish output, compose and Kubernetes YAML parsed with the expected keys,
/// every shipped toaproxy config compiled and every nginx config passed through nginx -t, and the
/// systemd unit verified by systemd-analyze and matched against the install docs.
/// </summary>
public sealed partial class PackagingFileTests : IDisposable
{
    private const string ImageConfigPath = "/etc/toaproxy/toaproxy.json";
    private readonly string _directory = Directory.CreateTempSubdirectory("toaproxy-deploy-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void The_dockerfile_copies_existing_paths_and_starts_the_published_binary_as_a_non_root_user()
    {
        string[] instructions = DockerInstructions(DeployFiles.Read("deploy/docker/Dockerfile"));

        foreach (string copy in instructions.Where(i => i.StartsWith("COPY ", StringComparison.Ordinal) && !i.Contains("--from", StringComparison.Ordinal)))
        {
            string[] parts = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.All(parts[1..^1], source => Assert.True(File.Exists(DeployFiles.Path(source)) || Directory.Exists(DeployFiles.Path(source)), $"{copy}: {source} is not in the build context"));
        }

        string publish = Assert.Single(instructions, i => i.StartsWith("RUN dotnet publish", StringComparison.Ordinal));
        Match output = Regex.Match(publish, @"^RUN dotnet publish (\S+) -c Release -o (\S+)$");
        Assert.True(output.Success, publish);
        Assert.True(Directory.Exists(DeployFiles.Path(output.Groups[1].Value)), publish);
        Assert.Contains($"COPY --from=build {output.Groups[2].Value}/ /app/", instructions);

        string entrypoint = Assert.Single(instructions, i => i.StartsWith("ENTRYPOINT", StringComparison.Ordinal));
        Assert.Equal("ENTRYPOINT [\"/app/toaproxy\"]", entrypoint);
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(PublishedToaproxy.ExecutablePath)!, "toaproxy")), "the publish output has the entrypoint's file");
        Assert.Contains("setcap cap_net_raw+ep /app/toaproxy", string.Join('\n', instructions));
        Assert.Equal($"CMD [\"run\", \"--config\", \"{ImageConfigPath}\"]", instructions.Last(i => i.StartsWith("CMD", StringComparison.Ordinal)));
        Assert.Contains($"COPY deploy/docker/toaproxy.json {ImageConfigPath}", instructions);
        string user = instructions.Last(i => i.StartsWith("USER ", StringComparison.Ordinal));
        Assert.NotEqual("USER root", user);
        Assert.NotEqual("USER 0", user);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime", instructions);
    }

    [Fact]
    public void Compose_runs_toaproxy_in_nginx_network_namespace_with_only_net_raw_and_a_valid_config()
    {
        JsonNode compose = Assert.Single(YamlDocuments.Load(DeployFiles.Path("deploy/docker/compose.yaml")));
        JsonNode toaproxy = compose["services"]!["toaproxy"]!;
        JsonNode nginx = compose["services"]!["nginx"]!;

        Assert.Equal("service:nginx", (string)toaproxy["network_mode"]!);
        Assert.Equal(["ALL"], Strings(toaproxy["cap_drop"]));
        Assert.Equal(["NET_RAW"], Strings(toaproxy["cap_add"]));
        Assert.Equal("deploy/docker/Dockerfile", (string)toaproxy["build"]!["dockerfile"]!);
        Assert.True(File.Exists(Path.Combine(DeployFiles.Path("deploy/docker"), (string)toaproxy["build"]!["context"]!, "deploy/docker/Dockerfile")));
        Assert.Contains("./toaproxy.json:" + ImageConfigPath + ":ro", Strings(toaproxy["volumes"]));
        Assert.Contains("./nginx.conf:/etc/nginx/conf.d/default.conf:ro", Strings(nginx["volumes"]));
        Assert.All(Strings(toaproxy["volumes"]).Concat(Strings(nginx["volumes"])), v => Assert.True(File.Exists(Path.Combine(DeployFiles.Path("deploy/docker"), v.Split(':')[0]))));

        ProxySettings settings = DeployFiles.CompileConfig(DeployFiles.Read("deploy/docker/toaproxy.json"), _directory);
        ListenerSettings listener = Assert.Single(settings.Listeners);
        Assert.Equal(CaptureBackendKind.AfPacket, settings.Capture.Backend);
        Assert.Contains($"{listener.Listen.Port}:{listener.Listen.Port}", Strings(nginx["ports"]));
        Assert.Contains($"listen {listener.Upstream} proxy_protocol;", DeployFiles.Read("deploy/docker/nginx.conf"));
    }

    [SkippableFact]
    public void The_nginx_configs_shipped_for_docker_and_kubernetes_pass_nginx_t()
    {
        Requires.Root();
        DeployFiles.AssertNginxAccepts(DeployFiles.Read("deploy/docker/nginx.conf"), _directory);
        JsonNode configMap = YamlDocuments.Load(DeployFiles.Path("deploy/kubernetes/sidecar.yaml")).First(d => (string)d["kind"]! == "ConfigMap");
        DeployFiles.AssertNginxAccepts((string)configMap["data"]!["default.conf"]!, _directory);
    }

    [Fact]
    public void The_kubernetes_sidecar_shares_the_pod_with_nginx_and_adds_only_net_raw()
    {
        IReadOnlyList<JsonNode> documents = YamlDocuments.Load(DeployFiles.Path("deploy/kubernetes/sidecar.yaml"));
        Assert.Equal(["ConfigMap", "Deployment", "Service"], documents.Select(d => (string)d["kind"]!));
        JsonNode pod = documents[1]["spec"]!["template"]!["spec"]!;
        JsonArray containers = pod["containers"]!.AsArray();
        Assert.Equal(["nginx", "toaproxy"], containers.Select(c => (string)c!["name"]!));
        JsonNode toaproxy = containers[1]!;
        JsonNode security = toaproxy["securityContext"]!;
        Assert.Equal(["NET_RAW"], Strings(security["capabilities"]!["add"]));
        Assert.Equal(["ALL"], Strings(security["capabilities"]!["drop"]));
        Assert.Equal("true", (string)security["runAsNonRoot"]!);
        Assert.Equal("true", (string)security["allowPrivilegeEscalation"]!);
        Assert.Equal(["run", "--config", ImageConfigPath], Strings(toaproxy["args"]));
        Assert.Contains(toaproxy["volumeMounts"]!.AsArray(), m => (string)m!["mountPath"]! == ImageConfigPath && (string)m["subPath"]! == "toaproxy.json");

        ProxySettings settings = DeployFiles.CompileConfig((string)documents[0]["data"]!["toaproxy.json"]!, _directory);
        ListenerSettings listener = Assert.Single(settings.Listeners);
        Assert.Equal(listener.Listen.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), (string)toaproxy["ports"]![0]!["containerPort"]!);
        Assert.Contains($"listen {listener.Upstream} proxy_protocol;", (string)documents[0]["data"]!["default.conf"]!);
        Assert.Equal("Local", (string)documents[2]["spec"]!["externalTrafficPolicy"]!);
    }

    [Fact]
    public void The_kubernetes_daemonset_uses_the_host_network_with_net_raw_and_net_admin()
    {
        IReadOnlyList<JsonNode> documents = YamlDocuments.Load(DeployFiles.Path("deploy/kubernetes/daemonset.yaml"));
        Assert.Equal(["Namespace", "ConfigMap", "DaemonSet"], documents.Select(d => (string)d["kind"]!));
        JsonNode pod = documents[2]["spec"]!["template"]!["spec"]!;
        Assert.Equal("true", (string)pod["hostNetwork"]!);
        Assert.Equal("ClusterFirstWithHostNet", (string)pod["dnsPolicy"]!);
        JsonNode toaproxy = Assert.Single(pod["containers"]!.AsArray())!;
        Assert.Equal(["NET_RAW", "NET_ADMIN"], Strings(toaproxy["securityContext"]!["capabilities"]!["add"]));
        Assert.Contains(toaproxy["volumeMounts"]!.AsArray(), m => ImageConfigPath == (string)m!["mountPath"]! + "/toaproxy.json");
        Assert.Equal(2, DeployFiles.CompileConfig((string)documents[1]["data"]!["toaproxy.json"]!, _directory).Listeners.Count);
    }

    [SkippableFact]
    public void The_systemd_unit_is_hardened_matches_the_install_docs_and_passes_systemd_analyze()
    {
        string unitText = DeployFiles.Read("deploy/systemd/toaproxy.service");
        Dictionary<string, string> unit = UnitKeys(unitText);
        const string ExecStart = "/opt/toaproxy/toaproxy run --config /etc/toaproxy/toaproxy.json";

        Assert.Equal(ExecStart, unit["ExecStart"]);
        Assert.Equal("notify", unit["Type"]);
        Assert.Equal("toaproxy", unit["User"]);
        Assert.Equal("CAP_NET_RAW", unit["AmbientCapabilities"]);
        Assert.Equal("CAP_NET_RAW", unit["CapabilityBoundingSet"]);
        Assert.Contains("#AmbientCapabilities=CAP_NET_ADMIN", unitText);
        Assert.Equal("AF_INET AF_INET6 AF_PACKET AF_NETLINK AF_UNIX", unit["RestrictAddressFamilies"]);
        foreach (string key in (string[])["NoNewPrivileges", "ProtectHome", "PrivateTmp"])
        {
            Assert.Equal("yes", unit[key]);
        }

        Assert.Equal("strict", unit["ProtectSystem"]);
        string docs = DeployFiles.Read("docs/deployment.md");
        Assert.Contains("dotnet publish src/ToaProxy -c Release -o /opt/toaproxy", docs);
        Assert.Contains("/etc/toaproxy/toaproxy.json", docs);
        Assert.Contains("deploy/systemd/toaproxy.service", docs);
        Assert.Contains("useradd --system", docs);

        // systemd-analyze checks every key; it wants ExecStart to exist, so point it at the publish output.
        string analyze = Requires.Command("systemd-analyze");
        string copy = Path.Combine(_directory, "toaproxy.service");
        File.WriteAllText(copy, unitText.Replace("/opt/toaproxy/toaproxy", PublishedToaproxy.ExecutablePath, StringComparison.Ordinal));
        using ExternalProcess verify = ExternalProcess.Start(analyze, ["verify", copy]);
        Assert.True(verify.WaitForExit(TimeSpan.FromSeconds(60)), verify.Describe());
        Assert.True(verify.ExitCode == 0 && verify.StandardError.Count == 0, verify.Describe());
    }

    private static string[] Strings(JsonNode? array) => [.. array!.AsArray().Select(n => (string)n!)];

    /// <summary>Instructions with line continuations joined and comments dropped.</summary>
    private static string[] DockerInstructions(string dockerfile)
    {
        string joined = ContinuationPattern().Replace(string.Join('\n', dockerfile.Split('\n').Where(l => !l.TrimStart().StartsWith('#'))), " ");
        return [.. joined.Split('\n').Select(l => WhitespacePattern().Replace(l.Trim(), " ")).Where(l => l.Length > 0)];
    }

    private static Dictionary<string, string> UnitKeys(string unit) =>
        unit.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && l[0] is not ('#' or ';' or '[') && l.Contains('='))
            .Select(l => l.Split('=', 2))
            .GroupBy(p => p[0])
            .ToDictionary(g => g.Key, g => g.Last()[1]);

    [GeneratedRegex(@"\\\s*\n")]
    private static partial Regex ContinuationPattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespacePattern();
}
