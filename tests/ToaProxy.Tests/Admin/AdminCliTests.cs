using System.Text.Json;
using ToaProxy.Admin;
using ToaProxy.Testing;

namespace ToaProxy.Tests.Admin;

/// <summary>`toaproxy stats` and `toaproxy flows` against a running instance, as an operator runs them.</summary>
public sealed class AdminCliTests
{
    [Fact]
    public async Task Stats_prints_the_counters_of_the_running_instance_as_a_table()
    {
        using AdminProxy proxy = AdminProxy.Start();
        await proxy.RelayConnectionsAsync(2);

        (int exit, string output, string errors) = await ToaproxyCli.RunAsync("stats", "--admin", proxy.AdminAddress);

        Assert.True(exit == 0, errors);
        Assert.StartsWith("capture: none, disabled, 0 flows", output);
        Assert.Matches(@"(?m)^accepted\s+2$", output);
        Assert.Matches(@"(?m)^bytes_from_upstream\s+10$", output);
        Assert.Matches(@"(?m)^resolved_unknown\s+2$", output);
        Assert.Matches(@"(?m)^test\s+127\.0\.0\.1:\d+\s+127\.0\.0\.1:\d+\s+yes$", output);
    }

    [Fact]
    public async Task Stats_finds_the_admin_address_in_the_config_and_prints_json_on_request()
    {
        using AdminProxy proxy = AdminProxy.Start();
        await proxy.RelayConnectionsAsync(1);

        (int exit, string output, string errors) = await ToaproxyCli.RunAsync("stats", "--config", proxy.Process.ConfigPath, "--json");

        Assert.True(exit == 0, errors);
        StatsReport stats = JsonSerializer.Deserialize<StatsReport>(output, AdminJson.Options)!;
        Assert.Equal(1, stats.Listeners[0].Counters["accepted"]);
    }

    [Fact]
    public async Task An_unreachable_instance_is_an_error_naming_the_address()
    {
        int port = FreePort.Allocate();

        (int exit, string output, string errors) = await ToaproxyCli.RunAsync("stats", "--admin", $"127.0.0.1:{port}");

        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Contains($"cannot read the admin API at http://127.0.0.1:{port}/", errors);
    }

    [SkippableFact]
    public async Task Flows_all_pages_through_the_table_and_prints_every_flow()
    {
        Requires.Root();
        using AdminProxy proxy = AdminProxy.Start(backend: "afpacket");
        int[] clientPorts = await proxy.RelayConnectionsAsync(5);

        (int exit, string output, string errors) = await ToaproxyCli.RunAsync("flows", "--admin", proxy.AdminAddress, "--all", "--limit", "2");
        (int jsonExit, string json, string jsonErrors) = await ToaproxyCli.RunAsync("flows", "--admin", proxy.AdminAddress, "--json", "--limit", "2");

        Assert.True(exit == 0, errors);
        string[] lines = output.TrimEnd('\n').Split('\n');
        Assert.Matches(@"^peer\s+local\s+client\s+kind\s+len\s+seen\s+age_s\s+state$", lines[0]);
        Assert.Equal("# 5 flows", lines[^1]);
        foreach (int port in clientPorts)
        {
            Assert.Single(lines, l => l.StartsWith($"127.0.0.1:{port} ", StringComparison.Ordinal));
        }

        Assert.True(jsonExit == 0, jsonErrors);
        FlowPage page = JsonSerializer.Deserialize<FlowPage>(json, AdminJson.Options)!;
        Assert.Equal(2, page.Flows.Count);
        Assert.NotNull(page.NextCursor);
        Assert.Equal(5, page.Total);
    }
}
