using ToaProxy.Capture.Flows;

namespace ToaProxy.Relay;

/// <summary>The outcome of <see cref="RealClientResolver"/>: whether to serve the connection, and as whom.</summary>
public readonly record struct RealClientDecision(bool Accepted, HeaderPlan Plan, FlowResolutionStatus Status);
