using System.CommandLine;
using System.Net.Sockets;
using ToaProxy.Capture.Emulation;
using ToaProxy.Capture.Iptables;
using ToaProxy.Configuration;
using ToaProxy.Emulation;

namespace ToaProxy.Cli;

/// <summary>
/// <c>toaproxy emulate</c>: this host plays the cloud load balancer. A tagged NFQUEUE rule on OUTPUT
/// sends connections to a port through the TOA injector, so a deployment can be tested before the
/// cloud side is switched on. The rule is removed on Ctrl-C, SIGTERM or when --duration ends.
/// </summary>
internal static class EmulateCommand
{
    public const ushort DefaultQueue = 4243;

    public static Command Create()
    {
        var port = new Option<int>("--port", "-p") { Description = "Insert TOA into connections made from this host to this port.", Required = true };
        var kind = new Option<string>("--kind") { Description = "200 (Tencent/LVS, IPv4), 254 (Alibaba/Huawei/DPVS, IPv4), 253 (NAT64, IPv6), 254v6 (DPVS IPv6).", DefaultValueFactory = _ => "200" };
        var client = new Option<string?>("--client") { Description = "The real client to announce, ADDRESS or ADDRESS:PORT (default port: the connection's source port)." };
        var derive = new Option<bool>("--derive") { Description = "Derive a client per connection from its source port (the default without --client)." };
        var on = new Option<string>("--on") { Description = "Packets that get the option: syn, ack-data (handshake ACK and first data) or all.", DefaultValueFactory = _ => "syn" };
        var queue = new Option<int>("--queue") { Description = "NFQUEUE number; must differ from a running nfqueue capture's.", DefaultValueFactory = _ => DefaultQueue };
        var duration = new Option<string?>("--duration") { Description = "Stop after this long (e.g. 30s); without it run until Ctrl-C or SIGTERM." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the start and stop lines, not a line per rewritten connection (load tests)." };
        var command = new Command("emulate", "Act as a TOA-inserting load balancer for connections from this host to a port (needs root / CAP_NET_ADMIN).")
        {
            port, kind, client, derive, on, queue, duration, quiet,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var signals = new TerminationSignals(stop);
            return await RunAsync(
                new EmulateRequest(
                    parse.GetValue(port), parse.GetValue(kind)!, parse.GetValue(client), parse.GetValue(derive),
                    parse.GetValue(on)!, parse.GetValue(queue), parse.GetValue(duration), parse.GetValue(quiet)),
                Console.Out,
                Console.Error,
                stop.Token).ConfigureAwait(false);
        });
        return command;
    }

    public static async Task<int> RunAsync(EmulateRequest request, TextWriter output, TextWriter errorOutput, CancellationToken cancellationToken)
    {
        string? problem = Validate(request, out EmulatedToaOption? option, out ToaInjectionPackets packets, out TimeSpan? duration);
        if (problem is not null)
        {
            await errorOutput.WriteLineAsync($"toaproxy emulate: {problem}").ConfigureAwait(false);
            return 1;
        }

        string tag = $"emulate-{request.Port}";
        var log = new RewrittenConnectionLog(option!.Kind, option.Length, printEach: !request.Quiet);
        Task printing = log.PrintAsync(output);
        int exitCode = 0;
        try
        {
            // A previous run killed with SIGKILL cannot have removed its rule.
            IptablesRuleSet.RemoveAllTagged(tag);
            await using TcpOptionInjector injector = TcpOptionInjector.Start(
                new TcpOptionInjectorOptions((ushort)request.Queue, (ushort)request.Port, option.CreateWriter(log.Report)) { Packets = packets, RuleTag = tag });
            await output.WriteLineAsync(
                $"emulate: inserting TOA kind {option.Kind} length {option.Length}, {option.ClientDescription}, on {request.On} of connections to port {request.Port} " +
                $"(NFQUEUE {request.Queue}, iptables comment {IptablesRuleSet.CommentPrefix}{tag}); {(duration is TimeSpan d ? $"stopping after {Duration.Format(d)}" : "Ctrl-C to stop")}").ConfigureAwait(false);
            exitCode = await WaitAsync(injector, duration, errorOutput, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"emulate: stopping; {injector.PacketsRewritten} packets rewritten in {log.Connections} connections" +
                (injector.LastInsertFailure is { } failure ? $"; last insert failure: {failure}" : string.Empty)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IptablesException or IOException or SocketException or InvalidOperationException or AggregateException or System.ComponentModel.Win32Exception)
        {
            await errorOutput.WriteLineAsync($"toaproxy emulate: {e.Message} (needs root or CAP_NET_ADMIN, iptables with NFQUEUE)").ConfigureAwait(false);
            exitCode = 1;
        }
        finally
        {
            IptablesRuleSet.RemoveAllTagged(tag);
            log.Complete();
            await printing.ConfigureAwait(false);
        }

        await output.WriteLineAsync("emulate: iptables rules removed").ConfigureAwait(false);
        return exitCode;
    }

    private static async Task<int> WaitAsync(TcpOptionInjector injector, TimeSpan? duration, TextWriter errorOutput, CancellationToken cancellationToken)
    {
        // Bounded by --duration or by Ctrl-C/SIGTERM; checks twice a second that the queue still works.
        DateTime? end = duration is TimeSpan d ? DateTime.UtcNow + d : null;
        try
        {
            while (end is null || DateTime.UtcNow < end)
            {
                TimeSpan step = TimeSpan.FromMilliseconds(500);
                if (end is DateTime e && e - DateTime.UtcNow < step)
                {
                    step = e - DateTime.UtcNow;
                }

                await Task.Delay(step > TimeSpan.Zero ? step : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
                if (injector.Fault is Exception fault)
                {
                    await errorOutput.WriteLineAsync($"toaproxy emulate: the NFQUEUE reader failed: {fault.Message}").ConfigureAwait(false);
                    return 1;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C or SIGTERM: the normal way to stop.
        }

        return 0;
    }

    private static string? Validate(EmulateRequest request, out EmulatedToaOption? option, out ToaInjectionPackets packets, out TimeSpan? duration)
    {
        option = null;
        packets = ToaInjectionPackets.Syn;
        duration = null;
        if (request.Port is < 1 or > 65535)
        {
            return $"--port {request.Port} is not a port from 1 to 65535";
        }

        if (request.Queue is < 0 or > 65535)
        {
            return $"--queue {request.Queue} is not a queue number from 0 to 65535";
        }

        if (request.Client is not null && request.Derive)
        {
            return "--client and --derive exclude each other";
        }

        ToaInjectionPackets? on = request.On.Trim().ToLowerInvariant() switch
        {
            "syn" => ToaInjectionPackets.Syn,
            "ack-data" => ToaInjectionPackets.HandshakeAckAndFirstData,
            "all" => ToaInjectionPackets.All,
            _ => null,
        };
        if (on is not ToaInjectionPackets selected)
        {
            return $"--on \"{request.On}\" is not one of syn, ack-data, all";
        }

        packets = selected;
        if (request.Duration is not null)
        {
            if (!Duration.TryParse(request.Duration, out TimeSpan parsed) || parsed <= TimeSpan.Zero)
            {
                return $"--duration \"{request.Duration}\" is not a duration (e.g. 30s, 5m)";
            }

            duration = parsed;
        }

        option = EmulatedToaOption.TryCreate(request.Kind, request.Client, out string error);
        return option is null ? error : null;
    }
}
