using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using ToaProxy.Admin;
using ToaProxy.Testing;

namespace ToaProxy.Tests.Admin;

/// <summary>
/// The status page in a real browser (headless Chromium): after its script has fetched /stats, every
/// number it shows equals the API's, and it renders to a non-trivial screenshot.
/// </summary>
public sealed partial class StatusPageBrowserTests
{
    private const int Width = 1280;
    private const int Height = 1000;

    [SkippableFact]
    public async Task The_page_shows_the_same_numbers_as_stats_and_renders_a_screenshot()
    {
        string chromium = Requires.Command("chromium");
        // With root the capture runs on lo, so the page also has backend statistics and flows to show.
        using AdminProxy proxy = AdminProxy.Start(backend: Requires.IsRoot ? "afpacket" : "none");
        await proxy.RelayConnectionsAsync(4);

        string dom = await RunChromiumAsync(chromium, proxy, "--dump-dom");
        StatsReport stats = proxy.Stats();
        string screenshot = Path.Combine(PublishedToaproxy.DirectoryPath, "..", "admin-status-page.png");
        File.Delete(screenshot);
        await RunChromiumAsync(chromium, proxy, $"--screenshot={screenshot}", $"--window-size={Width},{Height}");

        Assert.Contains("data-loaded=\"true\"", dom);
        Dictionary<string, string> shown = ValueCells().Matches(dom).ToDictionary(m => m.Groups["key"].Value, m => WebUtility.HtmlDecode(m.Groups["value"].Value));
        var expected = new Dictionary<string, string>();
        foreach ((string name, long value) in stats.Capture.Counters)
        {
            expected[$"capture.{name}"] = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach ((string name, long value) in stats.Capture.BackendStatistics ?? [])
        {
            expected[$"capture.backend_{name}"] = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (ListenerReport listener in stats.Listeners)
        {
            expected[$"listener.{listener.Name}.bound"] = listener.Bound ? "yes" : "no";
            foreach ((string name, long value) in listener.Counters)
            {
                expected[$"listener.{listener.Name}.{name}"] = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        Assert.Equal(expected.OrderBy(e => e.Key), shown.OrderBy(e => e.Key));
        Assert.Equal("4", shown["listener.test.accepted"]);

        byte[] png = await File.ReadAllBytesAsync(screenshot);
        Assert.True(png.Length > 20_000, $"screenshot of {png.Length} bytes is too small to show the page");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        Assert.Equal(Width, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(Height, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    /// <summary>Headless Chromium on a throwaway profile, with virtual time so the page's fetches and script complete.</summary>
    private static async Task<string> RunChromiumAsync(string chromium, AdminProxy proxy, params string[] mode)
    {
        DirectoryInfo profile = Directory.CreateTempSubdirectory("toaproxy-chromium-");
        try
        {
            var start = new ProcessStartInfo(chromium)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string argument in new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                $"--user-data-dir={profile.FullName}", "--virtual-time-budget=5000",
            }.Concat(mode).Append($"http://{proxy.AdminAddress}/"))
            {
                start.ArgumentList.Add(argument);
            }

            using Process process = Process.Start(start)!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            Task<string> output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            Task<string> errors = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"chromium exited {process.ExitCode}:\n{await errors}");
            return await output;
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }

    [GeneratedRegex("<td[^>]*\\sdata-key=\"(?<key>[^\"]+)\"[^>]*>(?<value>[^<]*)</td>")]
    private static partial Regex ValueCells();
}
