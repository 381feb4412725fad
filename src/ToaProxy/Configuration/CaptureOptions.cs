namespace ToaProxy.Configuration;

public sealed class CaptureOptions
{
    /// <summary>afpacket (default), pcap, nfqueue or none.</summary>
    public string? Backend { get; set; }

    /// <summary>Interface for afpacket/pcap; "any" captures on all.</summary>
    public string? Interface { get; set; }

    /// <summary>NFQUEUE queue number (nfqueue backend).</summary>
    public int? QueueNumber { get; set; }

    /// <summary>nfqueue: install (and remove on stop) the tagged iptables/ip6tables rules that feed the queue.</summary>
    public bool? ManageRules { get; set; }

    /// <summary>nfqueue: overwrite TOA options with NOPs before the packet goes on.</summary>
    public bool? StripOption { get; set; }

    /// <summary>The (kind, length) table of TOA layouts; empty means the built-in default.</summary>
    public List<ToaOptionEntry> Options { get; set; } = [];

    /// <summary>CIDRs of the load balancers allowed to announce a client; empty trusts every source (logged as a warning).</summary>
    public List<string> TrustedSources { get; set; } = [];

    public string? FlowTimeout { get; set; }

    public int? MaxFlows { get; set; }
}
