namespace ToaProxy.Capture.Iptables;

/// <summary>
/// One rule, split where the tag comment goes: <c>-t Table -I Chain 1 Matches -m comment --comment
/// toaproxy:tag Target</c> (the comment must precede the target, whose options follow <c>-j</c>).
/// </summary>
public sealed record IptablesRule(IptablesFamily Family, string Table, string Chain, IReadOnlyList<string> Matches, IReadOnlyList<string> Target);
