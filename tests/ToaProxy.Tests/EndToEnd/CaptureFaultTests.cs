using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ToaProxy.Protocol;
using ToaProxy.Testing;
using ToaProxy.Tests.Admin;

namespace ToaProxy.Tests.EndToEnd;

/// <summary>
/// The capture failing under a running proxy (its interface removed): the proxy logs it and turns
/// not ready, live connections go on, new ones follow WithoutToa, and the capture comes back by
/// itself or on POST /capture/restart without restarting the proxy.
/// </summary>
public sealed class CaptureFaultTests
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(15);

    private static async Task<(HttpStatusCode Status, string Body)> GetReadyzAsync(AdminProxy proxy)
    {
        using HttpResponseMessage response = await proxy.Http.GetAsync("readyz");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static bool IsReady(AdminProxy proxy) => GetReadyzAsync(proxy).GetAwaiter().GetResult().Status == HttpStatusCode.OK;

    [SkippableFact]
    public async Task When_the_captured_interface_goes_away_live_connections_go_on_new_ones_follow_WithoutToa_and_the_capture_comes_back()
    {
        Requires.Root();
        using var veth = VethPair.Create(Requires.Command("ip"));
        using AdminProxy proxy = AdminProxy.Start("afpacket", listener: l => l["WithoutToa"] = "local", capture: c => c["Interface"] = veth.Name);
        Assert.Equal(HttpStatusCode.OK, (await GetReadyzAsync(proxy)).Status);
        using Socket live = await SocketStreams.ConnectLoopbackAsync(proxy.ListenPort, Step);
        using UpstreamConnection liveUpstream = await proxy.Upstream.AcceptAsync(Step);

        veth.Delete();

        Assert.True(Poll.Until(() => !IsReady(proxy), Step), proxy.Process.Describe());
        (HttpStatusCode status, string reasons) = await GetReadyzAsync(proxy);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("capture afpacket failed", reasons);
        Assert.Contains(veth.Name, reasons);
        Assert.NotNull(proxy.Process.Process.WaitForOutputLine(l => l.Contains("Capture afpacket stopped", StringComparison.Ordinal), Step));

        await SocketStreams.PingPongAsync(live, liveUpstream.Socket, Step);
        using (Socket fresh = await SocketStreams.ConnectLoopbackAsync(proxy.ListenPort, Step))
        using (UpstreamConnection freshUpstream = await proxy.Upstream.AcceptAsync(Step))
        {
            Assert.Equal(ProxyCommand.Local, freshUpstream.Header.Command);
            await SocketStreams.PingPongAsync(fresh, freshUpstream.Socket, Step);
        }

        veth.Add();

        // Retries back off 1 s, 2 s, 4 s...: the interface is back well within the wait.
        Assert.True(Poll.Until(() => IsReady(proxy), TimeSpan.FromSeconds(30)), proxy.Process.Describe());
        Assert.Equal(1, proxy.Stats().Capture.Restarts);
        Assert.True(proxy.Stats().Capture.Running);
        Assert.NotNull(proxy.Process.Process.WaitForOutputLine(l => l.Contains("Capture afpacket restarted", StringComparison.Ordinal), Step));
        await SocketStreams.PingPongAsync(live, liveUpstream.Socket, Step);
    }

    [SkippableFact]
    public async Task Post_capture_restart_restarts_the_capture_and_reports_why_it_cannot()
    {
        Requires.Root();
        using var veth = VethPair.Create(Requires.Command("ip"));
        using AdminProxy proxy = AdminProxy.Start("afpacket", capture: c => c["Interface"] = veth.Name);

        using (HttpResponseMessage restarted = await proxy.Http.PostAsync("capture/restart", null))
        {
            Assert.Equal(HttpStatusCode.OK, restarted.StatusCode);
            Assert.True(JsonNode.Parse(await restarted.Content.ReadAsStringAsync())!["restarted"]!.GetValue<bool>());
        }

        Assert.Equal(1, proxy.Stats().Capture.Restarts);
        Assert.True(IsReady(proxy));

        veth.Delete();
        Assert.True(Poll.Until(() => !IsReady(proxy), Step), proxy.Process.Describe());
        using HttpResponseMessage failed = await proxy.Http.PostAsync("capture/restart", null);
        JsonNode body = JsonNode.Parse(await failed.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.False(body["restarted"]!.GetValue<bool>());
        Assert.Contains(veth.Name, body["error"]!.GetValue<string>());
        Assert.Equal(1, proxy.Stats().Capture.Restarts);
    }
}
