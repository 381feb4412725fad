using ToaProxy.Capture;
using ToaProxy.Protocol;

namespace ToaProxy.Configuration;

public sealed record CaptureSettings(
    CaptureBackendKind Backend,
    string Interface,
    ushort QueueNumber,
    bool ManageRules,
    bool StripOption,
    ToaOptionTable OptionTable,
    IReadOnlyList<ToaOptionSpec> OptionSpecs,
    TrustedSourceList TrustedSources,
    TimeSpan FlowTimeout,
    int MaxFlows);
