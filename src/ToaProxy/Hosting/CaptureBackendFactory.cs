using Microsoft.Extensions.Logging;
using ToaProxy.Capture;
using ToaProxy.Capture.AfPacket;
using ToaProxy.Capture.Nfqueue;
using ToaProxy.Capture.Pcap;
using ToaProxy.Configuration;

namespace ToaProxy.Hosting;

/// <summary>Creates the configured capture backend for the listeners' ports.</summary>
public static class CaptureBackendFactory
{
    public static ICaptureBackend Create(CaptureSettings capture, IReadOnlyList<ushort> ports, ILoggerFactory loggerFactory)
    {
        var filter = new CaptureFilter(ports);
        return capture.Backend switch
        {
            CaptureBackendKind.AfPacket => new AfPacketCaptureBackend(new AfPacketCaptureOptions(capture.Interface, filter)),
            CaptureBackendKind.Pcap => new PcapCaptureBackend(new PcapCaptureOptions(capture.Interface, filter)),
            CaptureBackendKind.Nfqueue => new NfqueueCaptureBackend(
                new NfqueueCaptureOptions
                {
                    QueueNumber = capture.QueueNumber,
                    ManageRules = capture.ManageRules,
                    RulePorts = ports,
                    AllowRewrite = capture.StripOption,
                    RuleTag = $"capture-q{capture.QueueNumber}",
                },
                loggerFactory.CreateLogger<NfqueueCaptureBackend>()),
            _ => throw new ArgumentOutOfRangeException(nameof(capture), capture.Backend, "no backend to create"),
        };
    }
}
