using System.CommandLine;
using ToaProxy.Configuration;
using ToaProxy.Diagnostics;

namespace ToaProxy.Cli;

/// <summary>
/// <c>toaproxy doctor</c>: checks this host the way the toa.ko FAQ did by hand (lsmod, dmesg,
/// tcpdump) and more; one OK/WARN/FAIL line per check with the fix. Exit 0 without FAIL, 1 otherwise.
/// </summary>
internal static class DoctorCommand
{
    public static Command Create(Option<string> configOption)
    {
        var seconds = new Option<double>("--capture-seconds")
        {
            Description = "Length of the live capture on the listener ports; 0 skips it.",
            DefaultValueFactory = _ => 3,
        };
        var command = new Command("doctor", "Check privileges, libpcap/iptables, listener ports, upstream PROXY support, a loaded toa.ko, and capture TOA live for a few seconds.")
        {
            configOption,
            seconds,
        };
        command.SetAction((parse, cancellationToken) =>
            RunAsync(parse.GetValue(configOption)!, TimeSpan.FromSeconds(Math.Clamp(parse.GetValue(seconds), 0, 600)), Console.Out, cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(string configPath, TimeSpan captureDuration, TextWriter output, CancellationToken cancellationToken)
    {
        var results = new List<CheckResult>();
        void Report(CheckResult result)
        {
            results.Add(result);
            output.WriteLine($"{Label(result.Status),-5} {result.Name,-16} {result.Message}");
            if (result.Fix is not null)
            {
                output.WriteLine($"{string.Empty,-22} fix: {result.Fix}");
            }
        }

        var errors = new List<string>();
        ProxySettings? settings = SettingsFile.TryLoad(configPath, errors);
        if (settings is null)
        {
            Report(CheckResult.Fail("config", $"{configPath}: {string.Join("; ", errors)}", $"correct the config; toaproxy check-config --config {configPath} lists every problem"));
        }
        else
        {
            Report(CheckResult.Ok("config", $"{configPath} is valid (backend {settings.Capture.Backend.ToString().ToLowerInvariant()}, {settings.Listeners.Count} listener(s))"));
        }

        Report(KernelToaModuleCheck.Run());
        if (settings is not null)
        {
            CaptureBackendKind backend = settings.Capture.Backend;
            Report(PrivilegeCheck.Run(backend, ProcessCapabilities.ReadCurrent()));
            if (backend == CaptureBackendKind.Pcap)
            {
                Report(LibpcapCheck.Run());
            }

            if (backend == CaptureBackendKind.Nfqueue)
            {
                Report(await NfqueueSupportCheck.RunAsync(settings.Capture.QueueNumber, settings.Capture.ManageRules).ConfigureAwait(false));
            }

            if (settings.Capture.TrustedSources.TrustsEveryone)
            {
                Report(CheckResult.Warn("trust", "Capture:TrustedSources is empty: TOA from any source is believed, so any client can claim any address",
                    "list your load balancers' SNAT ranges in Capture:TrustedSources (many clouds use 100.64.0.0/10)"));
            }

            foreach (ListenerSettings listener in settings.Listeners)
            {
                Report(ListenerPortCheck.Run(listener));
                Report(listener.Protocol == ProxyProtocolVersion.Transparent
                    ? await TransparentUpstreamCheck.RunAsync(listener, cancellationToken).ConfigureAwait(false)
                    : await UpstreamProxyCheck.RunAsync(listener, cancellationToken).ConfigureAwait(false));
            }

            if (settings.HasTransparentListener)
            {
                Report(await TransparentRoutingCheck.RunAsync(settings).ConfigureAwait(false));
            }

            if (captureDuration > TimeSpan.Zero)
            {
                output.WriteLine($"....  capture          listening {captureDuration.TotalSeconds:0.#}s for connections to port {string.Join(",", settings.Listeners.Select(l => l.Listen.Port).Distinct())} ...");
                Report(await LiveCaptureCheck.RunAsync(settings, captureDuration, cancellationToken).ConfigureAwait(false));
            }
        }

        int failures = results.Count(r => r.Status == CheckStatus.Fail);
        output.WriteLine($"doctor: {failures} FAIL, {results.Count(r => r.Status == CheckStatus.Warn)} WARN, {results.Count(r => r.Status == CheckStatus.Ok)} OK");
        return failures == 0 ? 0 : 1;
    }

    private static string Label(CheckStatus status) => status switch
    {
        CheckStatus.Ok => "OK",
        CheckStatus.Warn => "WARN",
        _ => "FAIL",
    };
}
