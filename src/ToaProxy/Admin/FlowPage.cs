namespace ToaProxy.Admin;

/// <summary>GET /flows: one bounded page of the flow table; pass NextCursor as ?cursor= for the next (null at the end).</summary>
public sealed record FlowPage(IReadOnlyList<FlowRow> Flows, int? NextCursor, int Total);
