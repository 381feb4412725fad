using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ToaProxy.Capture.Emulation;
using ToaProxy.Capture.Iptables;
using ToaProxy.Configuration;
using ToaProxy.Demo;
using ToaProxy.Hosting;

namespace ToaProxy.Cli;

/// <summary>
/// The quick start: the proxy on the given config, the built-in load-balancer emulator inserting TOA
/// into real packets on this host, a sample PROXY-aware backend on the listener's upstream, and a
/// client making a connection every interval — so real client addresses are seen arriving.
/// </summary>
internal static class DemoCommand
{
    private const string RuleTag = "demo";
    private const ushort EmulatorQueue = 4242;

    public static Command Create(Option<string> configOption)
    {
        var count = new Option<int>("--count") { Description = "Connections to make, 0 for no limit (stop with Ctrl-C).", DefaultValueFactory = _ => 0 };
        var interval = new Option<string>("--interval") { Description = "Time between connections.", DefaultValueFactory = _ => "1s" };
        var command = new Command("demo", "Run the proxy with a built-in load-balancer emulator and sample backend, and watch real client addresses arrive (needs root).")
        {
            configOption,
            count,
            interval,
        };
        command.SetAction((parse, cancellationToken) =>
            RunAsync(parse.GetValue(configOption)!, parse.GetValue(count), parse.GetValue(interval)!, Console.Out, cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(string configPath, int count, string intervalText, TextWriter output, CancellationToken cancellationToken)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            await Console.Error.WriteLineAsync("toaproxy demo: needs root (the load-balancer emulator uses an iptables NFQUEUE rule, the capture a raw socket).").ConfigureAwait(false);
            return 1;
        }

        if (!Duration.TryParse(intervalText, out TimeSpan interval) || interval <= TimeSpan.Zero)
        {
            await Console.Error.WriteLineAsync($"toaproxy demo: --interval \"{intervalText}\" is not a duration (e.g. 500ms, 1s)").ConfigureAwait(false);
            return 1;
        }

        var errors = new List<string>();
        ProxySettings? settings;
        try
        {
            var builder = new ConfigurationBuilder();
            ConfigurationLoader.AddSources(builder, configPath, []);
            settings = ConfigurationLoader.Compile(builder.Build(), errors);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidOperationException or FormatException or InvalidDataException)
        {
            await Console.Error.WriteLineAsync($"toaproxy demo: {e.Message}").ConfigureAwait(false);
            return 1;
        }

        if (settings is null)
        {
            await Console.Error.WriteLineAsync($"toaproxy demo: {configPath} is invalid:\n  {string.Join("\n  ", errors)}").ConfigureAwait(false);
            return 1;
        }

        ListenerSettings listener = settings.Listeners[0];
        if (listener.Upstream.Address is not IPAddress upstreamAddress)
        {
            await Console.Error.WriteLineAsync($"toaproxy demo: the first listener's Upstream \"{listener.Upstream}\" must be an IP address for the sample backend to listen on").ConfigureAwait(false);
            return 1;
        }

        IptablesRuleSet.RemoveAllTagged(RuleTag);
        try
        {
            await using SampleBackend backend = SampleBackend.Start(new IPEndPoint(upstreamAddress, listener.Upstream.Port), output);
            using IHost host = ProxyHostFactory.Build(configPath, []);
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var clients = new DemoClientAddresses();
                await using TcpOptionInjector emulator = TcpOptionInjector.Start(
                    new TcpOptionInjectorOptions(EmulatorQueue == settings.Capture.QueueNumber ? (ushort)(EmulatorQueue + 1) : EmulatorQueue, (ushort)listener.Listen.Port, clients.Writer)
                    {
                        Packets = ToaInjectionPackets.Syn,
                        RuleTag = RuleTag,
                    });
                output.WriteLine($"demo: load-balancer emulator inserts TOA into connections to port {listener.Listen.Port}; sample backend on {listener.Upstream}. Ctrl-C to stop.");

                // The host's console lifetime takes SIGINT/SIGTERM and stops the host: the demo ends with it.
                using var stopping = CancellationTokenSource.CreateLinkedTokenSource(
                    cancellationToken, host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
                try
                {
                    await ConnectLoopAsync(ClientTarget(listener.Listen), clients, count, interval, output, stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    // Ctrl-C or SIGTERM: the normal way to end the demo.
                }
            }
            finally
            {
                await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C: the normal way to end the demo.
        }
        catch (Exception e) when (e is InvalidOperationException or OptionsValidationException or IptablesException or SocketException or IOException)
        {
            await Console.Error.WriteLineAsync($"toaproxy demo: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        finally
        {
            IptablesRuleSet.RemoveAllTagged(RuleTag);
        }

        output.WriteLine("demo: stopped; emulator rules removed.");
        return 0;
    }

    private static async Task ConnectLoopAsync(IPEndPoint target, DemoClientAddresses clients, int count, TimeSpan interval, TextWriter output, CancellationToken cancellationToken)
    {
        for (int i = 0; count == 0 || i < count; i++)
        {
            using var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                socket.Bind(new IPEndPoint(target.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
                var local = (IPEndPoint)socket.LocalEndPoint!;
                clients.Assign(local.Port, i);
                await socket.ConnectAsync(target, timeout.Token).ConfigureAwait(false);
                local = (IPEndPoint)socket.LocalEndPoint!;
                (byte kind, IPAddress address) = clients.For(local.Port);
                output.WriteLine($"client:  connection {i + 1} from {local}; the load balancer says its real client is {Format(address, local.Port)} (TOA kind {kind})");
                await socket.SendAsync("GET / HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n"u8.ToArray(), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                byte[] buffer = new byte[1024];
                var response = new StringBuilder();
                int n;
                while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false)) > 0)
                {
                    response.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }

                string text = response.ToString();
                int bodyStart = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                output.WriteLine($"client:  response: {(bodyStart >= 0 ? text[(bodyStart + 4)..].Trim() : "(none)")}");
            }
            catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                output.WriteLine($"client:  connection {i + 1} failed: {e.Message}");
            }

            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
        }
    }

    private static IPEndPoint ClientTarget(IPEndPoint listen)
    {
        IPAddress address = listen.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : listen.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : listen.Address;
        return new IPEndPoint(address, listen.Port);
    }

    private static string Format(IPAddress address, int port) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";
}
