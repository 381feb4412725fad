using System.Globalization;
using System.Net;
using ToaProxy.Capture;
using ToaProxy.Protocol;

namespace ToaProxy.Configuration;

/// <summary>
/// Turns the bound options into <see cref="ProxySettings"/>, applying defaults and collecting one
/// error per wrong value in the form <c>ToaProxy:Listeners:0:Upstream: "127.0.0.1" has no port</c>.
/// </summary>
public static class SettingsCompiler
{
    public static readonly TimeSpan DefaultToaWait = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan DefaultFlowTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(30);
    public const int DefaultMaxFlows = 262_144;
    public const int DefaultMaxConnections = 20_000;
    public const string DefaultAdminListen = "127.0.0.1:9901";
    public const byte DefaultVpcIdTlvType = 0xE0;

    public static ProxySettings? Compile(ToaProxyOptions options, List<string> errors)
    {
        const string root = ToaProxyOptions.SectionName;
        CaptureSettings? capture = CompileCapture(options.Capture ?? new CaptureOptions(), $"{root}:Capture", errors);

        var listeners = new List<ListenerSettings>();
        List<ListenerOptions> listenerOptions = options.Listeners ?? [];
        if (listenerOptions.Count == 0)
        {
            errors.Add($"{root}:Listeners: no listener is configured (add at least one with Listen and Upstream)");
        }

        for (int i = 0; i < listenerOptions.Count; i++)
        {
            ListenerSettings? listener = CompileListener(listenerOptions[i] ?? new ListenerOptions(), i, $"{root}:Listeners:{i}", errors);
            if (listener is null)
            {
                continue;
            }

            ListenerSettings? sameName = listeners.FirstOrDefault(l => l.Name == listener.Name);
            if (sameName is not null)
            {
                errors.Add($"{root}:Listeners:{i}:Name: \"{listener.Name}\" is already the name of another listener");
            }

            ListenerSettings? sameEndpoint = listeners.FirstOrDefault(l => l.Listen.Equals(listener.Listen));
            if (sameEndpoint is not null)
            {
                errors.Add($"{root}:Listeners:{i}:Listen: \"{listener.Listen}\" is already used by listener \"{sameEndpoint.Name}\"");
            }

            listeners.Add(listener);
        }

        IPEndPoint? admin = null;
        if (options.Admin?.IsOff != true)
        {
            admin = ParseListenEndpoint(options.Admin?.Listen ?? DefaultAdminListen, $"{root}:Admin:Listen", errors);
        }

        TimeSpan shutdown = ParseDuration(options.ShutdownTimeout, DefaultShutdownTimeout, $"{root}:ShutdownTimeout", errors);

        TransparentSettings transparent = TransparentSettingsCompiler.Compile(options.Transparent ?? new TransparentOptions(), $"{root}:Transparent", errors);

        return errors.Count == 0 && capture is not null
            ? new ProxySettings(capture, listeners, admin, shutdown) { Transparent = transparent }
            : null;
    }

    private static CaptureSettings? CompileCapture(CaptureOptions o, string path, List<string> errors)
    {
        int before = errors.Count;
        CaptureBackendKind backend = (o.Backend?.Trim().ToLowerInvariant()) switch
        {
            null or "" or "afpacket" => CaptureBackendKind.AfPacket,
            "pcap" => CaptureBackendKind.Pcap,
            "nfqueue" => CaptureBackendKind.Nfqueue,
            "none" => CaptureBackendKind.None,
            _ => Fail(errors, $"{path}:Backend: \"{o.Backend}\" is not a capture backend (use afpacket, pcap, nfqueue or none)", CaptureBackendKind.None),
        };

        string iface = string.IsNullOrWhiteSpace(o.Interface) ? "any" : o.Interface.Trim();
        if (iface.Length > 15 || iface.Contains('/') || iface.Contains(' '))
        {
            errors.Add($"{path}:Interface: \"{o.Interface}\" is not a valid interface name");
        }

        int queue = o.QueueNumber ?? 0;
        if (queue is < 0 or > 65535)
        {
            errors.Add($"{path}:QueueNumber: \"{queue}\" is not a queue number from 0 to 65535");
        }

        if (o.StripOption == true && backend != CaptureBackendKind.Nfqueue)
        {
            errors.Add($"{path}:StripOption: \"true\" needs Backend nfqueue (only NFQUEUE can rewrite packets; {BackendName(backend)} only observes them)");
        }

        var specs = new List<ToaOptionSpec>();
        List<ToaOptionEntry> entries = o.Options ?? [];
        for (int i = 0; i < entries.Count; i++)
        {
            ToaOptionEntry e = entries[i] ?? new ToaOptionEntry();
            string at = $"{path}:Options:{i}";
            if (e.Kind is not (>= 0 and <= 255))
            {
                errors.Add($"{at}:Kind: \"{e.Kind}\" is not a TCP option kind from 0 to 255");
                continue;
            }

            if (e.Length is not (>= 2 and <= 40))
            {
                errors.Add($"{at}:Length: \"{e.Length}\" is not an option length from 2 to 40");
                continue;
            }

            ToaLayout layout;
            if (string.IsNullOrWhiteSpace(e.Layout))
            {
                // A pair the vendors are known to use implies its layout; any other pair must name one.
                if (!ToaOptionTable.All.TryGetLayout((byte)e.Kind.Value, (byte)e.Length.Value, out layout))
                {
                    errors.Add($"{at}:Layout: is missing, and kind {e.Kind} length {e.Length} has no known layout (use {ToaLayoutName.KnownNames})");
                    continue;
                }
            }
            else if (!ToaLayoutName.TryParse(e.Layout, out layout))
            {
                errors.Add($"{at}:Layout: \"{e.Layout}\" is not a TOA layout (use {ToaLayoutName.KnownNames})");
                continue;
            }

            ToaOptionSpec spec;
            try
            {
                spec = new ToaOptionSpec((byte)e.Kind.Value, (byte)e.Length.Value, layout);
            }
            catch (ArgumentException invalid)
            {
                errors.Add($"{at}: kind {e.Kind} length {e.Length} with layout \"{e.Layout}\": {invalid.Message}");
                continue;
            }

            if (specs.Any(s => s.Kind == spec.Kind && s.Length == spec.Length))
            {
                errors.Add($"{at}: kind {e.Kind} length {e.Length} is listed twice");
                continue;
            }

            specs.Add(spec);
        }

        IReadOnlyList<ToaOptionSpec> effectiveSpecs = entries.Count == 0 ? ToaOptionTable.Default.Specs : specs;

        var ranges = new List<CidrRange>();
        List<string> trusted = o.TrustedSources ?? [];
        for (int i = 0; i < trusted.Count; i++)
        {
            if (CidrRange.TryParse(trusted[i], out CidrRange range, out string error))
            {
                ranges.Add(range);
            }
            else
            {
                errors.Add($"{path}:TrustedSources:{i}: \"{trusted[i]}\" {error}");
            }
        }

        TimeSpan flowTimeout = ParseDuration(o.FlowTimeout, DefaultFlowTimeout, $"{path}:FlowTimeout", errors, allowZero: false);
        int maxFlows = o.MaxFlows ?? DefaultMaxFlows;
        if (maxFlows is < 16 or > 16_777_216)
        {
            errors.Add($"{path}:MaxFlows: \"{maxFlows}\" is out of range (16 to 16777216)");
        }

        if (errors.Count != before)
        {
            return null;
        }

        return new CaptureSettings(
            backend, iface, (ushort)queue, o.ManageRules ?? true, o.StripOption ?? false,
            ToaOptionTable.Create(effectiveSpecs), effectiveSpecs, new TrustedSourceList(ranges), flowTimeout, maxFlows);
    }

    private static ListenerSettings? CompileListener(ListenerOptions o, int index, string path, List<string> errors)
    {
        int before = errors.Count;
        string name = string.IsNullOrWhiteSpace(o.Name) ? $"listener{index}" : o.Name.Trim();
        IPEndPoint? listen = ParseListenEndpoint(o.Listen, $"{path}:Listen", errors);

        HostPort upstream = default;
        if (!HostPort.TryParse(o.Upstream, out upstream, out string upstreamError))
        {
            errors.Add($"{path}:Upstream: \"{o.Upstream}\" {upstreamError}");
        }
        else if (listen is not null && upstream.Address is IPAddress ua && ua.Equals(listen.Address) && upstream.Port == listen.Port)
        {
            errors.Add($"{path}:Upstream: \"{o.Upstream}\" is the listener's own address (the proxy would connect to itself)");
        }

        bool isHttp = string.Equals(o.Protocol?.Trim(), "http", StringComparison.OrdinalIgnoreCase);
        ProxyProtocolVersion protocol = (o.Protocol?.Trim().ToLowerInvariant()) switch
        {
            null or "" or "proxy-v2" or "http" => ProxyProtocolVersion.V2,
            "proxy-v1" => ProxyProtocolVersion.V1,
            "transparent" => ProxyProtocolVersion.Transparent,
            _ => Fail(errors, $"{path}:Protocol: \"{o.Protocol}\" is not a protocol (use proxy-v2, proxy-v1, http or transparent)", ProxyProtocolVersion.V2),
        };
        HttpListenerSettings? http = HttpListenerCompiler.Compile(o.Http, isHttp, $"{path}:Http", errors);

        WithoutToaPolicy withoutToa = (o.WithoutToa?.Trim().ToLowerInvariant()) switch
        {
            null or "" or "peer" => WithoutToaPolicy.Peer,
            "local" => WithoutToaPolicy.Local,
            "reject" => WithoutToaPolicy.Reject,
            _ => Fail(errors, $"{path}:WithoutToa: \"{o.WithoutToa}\" is not a policy (use peer, local or reject)", WithoutToaPolicy.Peer),
        };

        DestinationMode destination = (o.Destination?.Trim().ToLowerInvariant()) switch
        {
            null or "" or "local" => DestinationMode.Local,
            "vip" => DestinationMode.Vip,
            _ => Fail(errors, $"{path}:Destination: \"{o.Destination}\" is not a destination mode (use local or vip)", DestinationMode.Local),
        };

        TimeSpan toaWait = ParseDuration(o.ToaWait, DefaultToaWait, $"{path}:ToaWait", errors);
        if (toaWait > TimeSpan.FromSeconds(30))
        {
            errors.Add($"{path}:ToaWait: \"{o.ToaWait}\" is longer than 30s; a client would wait that long before its first byte is relayed");
        }

        TimeSpan connectTimeout = ParseDuration(o.ConnectTimeout, DefaultConnectTimeout, $"{path}:ConnectTimeout", errors, allowZero: false);
        TimeSpan idleTimeout = ParseDuration(o.IdleTimeout, DefaultIdleTimeout, $"{path}:IdleTimeout", errors, allowZero: false);
        int maxConnections = o.MaxConnections ?? DefaultMaxConnections;
        if (maxConnections < 1)
        {
            errors.Add($"{path}:MaxConnections: \"{maxConnections}\" must be at least 1");
        }

        ProxyTlvSelection tlvs = ProxyTlvSelection.None;
        List<string> tlvNames = o.Tlvs ?? [];
        for (int i = 0; i < tlvNames.Count; i++)
        {
            ProxyTlvSelection tlv = (tlvNames[i]?.Trim().ToLowerInvariant()) switch
            {
                "unique-id" => ProxyTlvSelection.UniqueId,
                "crc32c" => ProxyTlvSelection.Crc32c,
                "vpc-id" => ProxyTlvSelection.VpcId,
                _ => Fail(errors, $"{path}:Tlvs:{i}: \"{tlvNames[i]}\" is not a TLV (use unique-id, crc32c or vpc-id)", ProxyTlvSelection.None),
            };
            tlvs |= tlv;
        }

        if (tlvs != ProxyTlvSelection.None && isHttp)
        {
            errors.Add($"{path}:Tlvs: an http listener sends no PROXY header, so no TLVs; remove them");
        }
        else if (tlvs != ProxyTlvSelection.None && protocol == ProxyProtocolVersion.V1)
        {
            errors.Add($"{path}:Tlvs: PROXY v1 has no TLVs; remove them or use Protocol proxy-v2");
        }

        if (protocol == ProxyProtocolVersion.Transparent)
        {
            TransparentSettingsCompiler.CheckListener(o, upstream, tlvs, path, errors);
        }

        int vpcType = o.VpcIdTlvType ?? DefaultVpcIdTlvType;
        if (vpcType is < 0xE0 or > 0xEF)
        {
            errors.Add($"{path}:VpcIdTlvType: \"{vpcType}\" is not in the application range 0xE0-0xEF (224-239)");
        }

        if (errors.Count != before || listen is null)
        {
            return null;
        }

        return new ListenerSettings(
            name, listen, upstream, protocol, withoutToa, destination, toaWait, o.WaitForData ?? false,
            connectTimeout, idleTimeout, maxConnections, tlvs, (byte)vpcType, http);
    }

    private static IPEndPoint? ParseListenEndpoint(string? text, string path, List<string> errors)
    {
        if (!HostPort.TryParse(text, out HostPort hp, out string error))
        {
            errors.Add($"{path}: \"{text}\" {error}");
            return null;
        }

        if (hp.Address is not IPAddress address)
        {
            errors.Add($"{path}: \"{text}\" has host \"{hp.Host}\", which is not an IP address (a listener binds an address, not a name)");
            return null;
        }

        return new IPEndPoint(address, hp.Port);
    }

    private static TimeSpan ParseDuration(string? text, TimeSpan fallback, string path, List<string> errors, bool allowZero = true)
    {
        if (text is null)
        {
            return fallback;
        }

        if (!Duration.TryParse(text, out TimeSpan value))
        {
            errors.Add($"{path}: \"{text}\" is not a duration (write e.g. 250ms, 5s, 2m, 1h)");
            return fallback;
        }

        if (!allowZero && value == TimeSpan.Zero)
        {
            errors.Add($"{path}: \"{text}\" must be greater than zero");
        }

        return value;
    }

    private static T Fail<T>(List<string> errors, string message, T fallback)
    {
        errors.Add(message);
        return fallback;
    }

    private static string BackendName(CaptureBackendKind kind) => kind.ToString().ToLower(CultureInfo.InvariantCulture);
}
