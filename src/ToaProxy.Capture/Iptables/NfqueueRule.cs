using System.Globalization;

namespace ToaProxy.Capture.Iptables;

/// <summary>The NFQUEUE rules of the capture (INPUT) and of the load-balancer emulator (OUTPUT).</summary>
public static class NfqueueRule
{
    /// <summary>
    /// Queues the first three client-to-server packets of each connection to <paramref name="port"/>
    /// (SYN, handshake ACK, first data: where load balancers put TOA), never bulk data. No interface
    /// match, so loopback traffic is caught too. With <paramref name="queueBypass"/>, packets pass
    /// unseen while no reader is bound instead of being dropped.
    /// </summary>
    public static IptablesRule ForCapture(IptablesFamily family, ushort port, ushort queueNumber, bool queueBypass) =>
        new(family, "filter", "INPUT", [.. DestinationPort(port), .. FirstPackets("1:3")], Target(queueNumber, queueBypass));

    /// <summary>Queues outgoing SYNs to <paramref name="port"/>.</summary>
    public static IptablesRule ForOutgoingSyn(IptablesFamily family, ushort port, ushort queueNumber) =>
        new(family, "filter", "OUTPUT", [.. DestinationPort(port), "--syn"], Target(queueNumber, queueBypass: true));

    /// <summary>
    /// Queues outgoing packets 2 and 3 of each connection to <paramref name="port"/> — the handshake
    /// ACK and the first data packet — or 1 to 3 with <paramref name="includeSyn"/>. The data packet
    /// is queued with the ACK so it cannot overtake the ACK while the ACK waits for its verdict.
    /// </summary>
    public static IptablesRule ForOutgoingHandshake(IptablesFamily family, ushort port, ushort queueNumber, bool includeSyn) =>
        new(family, "filter", "OUTPUT", [.. DestinationPort(port), .. FirstPackets(includeSyn ? "1:3" : "2:3")], Target(queueNumber, queueBypass: true));

    private static string[] DestinationPort(ushort port) => ["-p", "tcp", "--dport", port.ToString(CultureInfo.InvariantCulture)];

    /// <summary>connbytes counts the packet being matched, so the SYN is packet 1.</summary>
    private static string[] FirstPackets(string range) =>
        ["-m", "connbytes", "--connbytes", range, "--connbytes-dir", "original", "--connbytes-mode", "packets"];

    private static string[] Target(ushort queueNumber, bool queueBypass) => queueBypass
        ? ["-j", "NFQUEUE", "--queue-num", queueNumber.ToString(CultureInfo.InvariantCulture), "--queue-bypass"]
        : ["-j", "NFQUEUE", "--queue-num", queueNumber.ToString(CultureInfo.InvariantCulture)];
}
