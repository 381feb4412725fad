using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using ToaProxy.Capture.Iptables;
using ToaProxy.Testing;
using ToaProxy.Tests.Admin;
using ToaProxy.Tests.Reliability;
using Xunit.Abstractions;

namespace ToaProxy.Tests.EndToEnd;

/// <summary>
/// Faults on either side of a relayed connection, through the published toaproxy with its admin
/// endpoint: an upstream that never answers the SYN, resets in the middle of a transfer, and
/// readers that stop reading. The basic cases (upstream refusing, reset before any data, idle
/// upstream) are in <see cref="RelaySemanticsTests"/>.
/// </summary>
public sealed class FaultTests(ITestOutputHelper output)
{
    private const int Mebibyte = 1024 * 1024;
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(15);

    private static Task<Socket> ConnectAsync(int port) => SocketStreams.ConnectLoopbackAsync(port, Step);

    [SkippableFact]
    public async Task An_upstream_that_drops_the_syn_fails_after_ConnectTimeout_and_the_client_is_reset()
    {
        Requires.Root();
        Requires.Command("iptables");
        using AdminProxy proxy = AdminProxy.Start(listener: l => l["ConnectTimeout"] = "1s");
        string tag = KernelIds.NewTag();
        try
        {
            // A listening socket completes the handshake in the kernel even if nobody accepts, so a hang
            // is a SYN that never gets an answer: drop it.
            using var rules = new IptablesRuleSet(tag);
            rules.Add(new IptablesRule(
                IptablesFamily.IPv4, "filter", "OUTPUT",
                ["-p", "tcp", "-d", "127.0.0.1", "--dport", proxy.Upstream.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--tcp-flags", "SYN,ACK,FIN,RST", "SYN"],
                ["-j", "DROP"]));

            var elapsed = Stopwatch.StartNew();
            Exception? end = await Record.ExceptionAsync(async () =>
            {
                using Socket client = await ConnectAsync(proxy.ListenPort);
                await SocketStreams.SendAllAsync(client, "GET / HTTP/1.0\r\n\r\n"u8.ToArray(), Step);
                await SocketStreams.ReadToEndAsync(client, Step);
            });
            elapsed.Stop();

            var reset = Assert.IsType<SocketException>(end);
            Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
            Assert.True(elapsed.Elapsed >= TimeSpan.FromSeconds(0.9), $"reset after only {elapsed.Elapsed}: ConnectTimeout did not apply");
            Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(10), $"reset only after {elapsed.Elapsed}");
            Assert.NotNull(proxy.Process.Process.WaitForOutputLine(l => l.Contains("no answer within ConnectTimeout 1s", StringComparison.Ordinal), Step));
            Assert.Equal(1, proxy.Stats().Listeners[0].Counters["upstream_connect_failures"]);
        }
        finally
        {
            IptablesRuleSet.RemoveAllTagged(tag);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_reset_in_the_middle_of_a_transfer_resets_the_other_side_and_the_proxy_carries_on(bool upstreamResets)
    {
        using AdminProxy proxy = AdminProxy.Start();
        Socket client = await ConnectAsync(proxy.ListenPort);
        UpstreamConnection conn = await proxy.Upstream.AcceptAsync(Step);
        (Socket resetting, Socket other) = upstreamResets ? (conn.Socket, client) : (client, conn.Socket);

        // 4 MiB on the way from the side that resets; the other side has read the first MiB of it.
        byte[] data = RandomNumberGenerator.GetBytes(4 * Mebibyte);
        Task sending = SocketStreams.SendAllAsync(resetting, data, Step);
        byte[] first = await SocketStreams.ReadExactlyAsync(other, Mebibyte, Step);
        Assert.Equal(data[..Mebibyte], first);
        SocketStreams.Reset(resetting);
        await Record.ExceptionAsync(() => sending);

        var error = await Assert.ThrowsAsync<SocketException>(() => SocketStreams.ReadToEndAsync(other, Step));
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        other.Dispose();
        string counter = upstreamResets ? "upstream_resets" : "client_resets";
        Assert.True(Poll.Until(() => proxy.Stats().Listeners[0].Counters[counter] == 1, Step), proxy.Process.Describe());

        // The proxy itself is unaffected: the next connection relays normally.
        await proxy.RelayConnectionsAsync(1);
    }

    /// <summary>
    /// 200 MiB pushed at a side that does not read: the sender is paused by TCP flow control once the
    /// proxy's pipe (256 KiB per direction) and the kernel's socket buffers are full, the proxy's
    /// resident memory does not follow the bytes pushed, and once the reader reads everything arrives.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_reader_that_does_not_read_stalls_its_sender_without_growing_the_proxys_memory(bool clientIsSlow)
    {
        const int Blocks = 200;
        using AdminProxy proxy = AdminProxy.Start();
        using Socket client = await ConnectAsync(proxy.ListenPort);
        using UpstreamConnection conn = await proxy.Upstream.AcceptAsync(Step);
        (Socket writer, Socket reader) = clientIsSlow ? (conn.Socket, client) : (client, conn.Socket);
        int pid = proxy.Process.Process.Id;
        long before = ProcessFootprint.Read(pid).RssBytes;

        byte[] block = RandomNumberGenerator.GetBytes(Mebibyte);
        long sent = 0;
        Task sending = Task.Run(async () =>
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            for (int i = 0; i < Blocks; i++)
            {
                ReadOnlyMemory<byte> rest = block;
                while (!rest.IsEmpty)
                {
                    int n = await writer.SendAsync(rest, SocketFlags.None, cts.Token);
                    rest = rest[n..];
                    Interlocked.Add(ref sent, n);
                }
            }

            writer.Shutdown(SocketShutdown.Send);
        });

        long stalledAt = WaitUntilStalled(() => Interlocked.Read(ref sent), sending);
        long during = 0;
        for (int i = 0; i < 5; i++)
        {
            during = Math.Max(during, ProcessFootprint.Read(pid).RssBytes);
            await Task.Delay(100);
        }

        output.WriteLine($"sender stalled after {stalledAt / (double)Mebibyte:F1} MiB of {Blocks} MiB; proxy RSS {before / Mebibyte} MiB before, {during / Mebibyte} MiB while stalled");
        Assert.False(sending.IsCompleted, "the sender finished: nothing held it back");
        Assert.True(stalledAt < 64L * Mebibyte, $"{stalledAt} bytes went out before the sender stalled");
        Assert.True(during - before < 32L * Mebibyte, $"proxy RSS grew from {before} to {during} bytes");

        (long length, byte[] hash) = await SocketStreams.HashToEndAsync(reader, TimeSpan.FromSeconds(120));
        await sending;
        using var expected = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (int i = 0; i < Blocks; i++)
        {
            expected.AppendData(block);
        }

        Assert.Equal((long)Blocks * Mebibyte, length);
        Assert.Equal(expected.GetHashAndReset(), hash);
    }

    /// <summary>Bounded wait until <paramref name="progress"/> stops moving for half a second; its value then.</summary>
    private static long WaitUntilStalled(Func<long> progress, Task sending)
    {
        var clock = Stopwatch.StartNew();
        long last = -1;
        while (clock.Elapsed < TimeSpan.FromSeconds(30) && !sending.IsCompleted)
        {
            long now = progress();
            if (now == last && now > 0)
            {
                return now;
            }

            last = now;
            Thread.Sleep(500);
        }

        return progress();
    }
}
