using System.Globalization;
using System.Net.Sockets;
using ToaProxy.Capture;
using ToaProxy.Capture.Iptables;
using ToaProxy.Configuration;

namespace ToaProxy.Transparent;

/// <summary>
/// What brings a backend's replies to a client address back to the proxy instead of out of the host:
/// the proxy's upstream connections (SO_MARK SocketMark) get the conntrack mark ReplyMark; their reply
/// packets — made on this host (OUTPUT) or arriving from another host or netns (PREROUTING) — get
/// the packet mark ReplyMark; an ip rule sends that mark to a table whose only route is
/// <c>local default dev lo</c>, so they are delivered to the proxy's transparent socket.
/// Rules carry the comment <c>toaproxy:transparent-TABLE</c>; the ip rule and route are told apart
/// by their own table and priority.
/// </summary>
public sealed class TransparentRouting
{
    /// <summary>How long reading the set-up may take in all (its queries run at the same time).</summary>
    public static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(10);

    private readonly TransparentSettings _settings;
    private readonly IReadOnlyList<AddressFamily> _families;
    private IptablesRuleSet? _rules;

    public TransparentRouting(TransparentSettings settings, IReadOnlyList<AddressFamily> families)
    {
        _settings = settings;
        _families = families;
    }

    public static string Tag(TransparentSettings settings) => "transparent-" + settings.Table.ToString(CultureInfo.InvariantCulture);

    /// <summary>The families of the transparent listeners' upstreams: the only ones rules are needed for.</summary>
    public static IReadOnlyList<AddressFamily> FamiliesOf(ProxySettings settings) =>
        settings.Listeners
            .Where(l => l.Protocol == ProxyProtocolVersion.Transparent && l.Upstream.Address is not null)
            .Select(l => l.Upstream.Address!.AddressFamily)
            .Distinct()
            .Order()
            .ToList();

    public static IReadOnlyList<IptablesRule> MangleRules(TransparentSettings s, AddressFamily family)
    {
        IptablesFamily f = family == AddressFamily.InterNetworkV6 ? IptablesFamily.IPv6 : IptablesFamily.IPv4;
        string reply = Hex(s.ReplyMark);
        string[] replies = ["-m", "connmark", "--mark", reply, "-m", "conntrack", "--ctdir", "REPLY"];
        return
        [
            new(f, "mangle", "OUTPUT", ["-m", "mark", "--mark", Hex(s.SocketMark), "-m", "conntrack", "--ctstate", "NEW"], ["-j", "CONNMARK", "--set-mark", reply]),
            new(f, "mangle", "OUTPUT", replies, ["-j", "MARK", "--set-mark", reply]),
            new(f, "mangle", "PREROUTING", replies, ["-j", "MARK", "--set-mark", reply]),
        ];
    }

    /// <summary>The <c>ip</c> arguments (without add/del) of the policy rule and of the local route.</summary>
    public static (string[] Rule, string[] Route) PolicyRouting(TransparentSettings s, AddressFamily family)
    {
        string version = family == AddressFamily.InterNetworkV6 ? "-6" : "-4";
        string table = s.Table.ToString(CultureInfo.InvariantCulture);
        return (
            [version, "rule", "{0}", "fwmark", Hex(s.ReplyMark), "lookup", table, "priority", s.RulePriority.ToString(CultureInfo.InvariantCulture)],
            [version, "route", "{0}", "local", family == AddressFamily.InterNetworkV6 ? "::/0" : "0.0.0.0/0", "dev", "lo", "table", table]);
    }

    /// <summary>
    /// What is missing of the set-up for <paramref name="families"/> (empty when complete), read from the
    /// kernel. The queries start on the calling thread (so in its network namespace) before this returns.
    /// One that does not finish within <see cref="QueryTimeout"/> throws (as <see cref="IpCommand"/> or
    /// <see cref="IptablesCommand"/> do) with a <see cref="TimeoutException"/> cause.
    /// </summary>
    public static async Task<IReadOnlyList<string>> FindMissingAsync(TransparentSettings s, params IReadOnlyList<AddressFamily> families)
    {
        // Started together and bounded together, so one stalled query costs QueryTimeout in all,
        // not its own timeout on top of the others'.
        using var started = new SystemCommandGroup();
        var queries = new List<(AddressFamily Family, SystemCommand Rules, SystemCommand Routes, SystemCommand Mangle)>();
        foreach (AddressFamily family in families)
        {
            string version = family == AddressFamily.InterNetworkV6 ? "-6" : "-4";
            queries.Add((
                family,
                started.Add(IpCommand.Start([version, "rule", "show"])),
                // "table all": showing a table that does not exist (yet) is an error.
                started.Add(IpCommand.Start([version, "route", "show", "table", "all"])),
                started.Add(IptablesCommand.Start(family == AddressFamily.InterNetworkV6 ? IptablesFamily.IPv6 : IptablesFamily.IPv4, ["-t", "mangle", "-S"]))));
        }

        var missing = new List<string>();
        foreach ((AddressFamily family, SystemCommand rules, SystemCommand routes, SystemCommand mangle) in queries)
        {
            missing.AddRange(Missing(
                s,
                family,
                await rules.FinishAsync(QueryTimeout).ConfigureAwait(false),
                await routes.FinishAsync(QueryTimeout).ConfigureAwait(false),
                await mangle.FinishAsync(QueryTimeout).ConfigureAwait(false)));
        }

        return missing;
    }

    /// <summary>Removes what a crashed earlier run may have left, then installs the rules and routes.</summary>
    public void Install()
    {
        RemoveLeftovers();
        _rules = new IptablesRuleSet(Tag(_settings));
        try
        {
            foreach (AddressFamily family in _families)
            {
                foreach (IptablesRule rule in MangleRules(_settings, family))
                {
                    _rules.Add(rule);
                }

                (string[] rule2, string[] route) = PolicyRouting(_settings, family);
                IpCommand.Run(With(route, "add"));
                IpCommand.Run(With(rule2, "add"));
            }
        }
        catch
        {
            Remove();
            throw;
        }
    }

    /// <summary>Deletes every rule and route this set-up consists of; every deletion is attempted.</summary>
    public void Remove()
    {
        var errors = new List<Exception>();
        try
        {
            _rules?.RemoveAdded();
        }
        catch (AggregateException e)
        {
            errors.Add(e);
        }

        _rules = null;
        try
        {
            RemoveLeftovers();
        }
        catch (Exception e) when (e is InvalidOperationException or IptablesException)
        {
            errors.Add(e);
        }

        if (errors.Count > 0)
        {
            throw new AggregateException("Removing the transparent-mode rules and routes failed", errors);
        }
    }

    private void RemoveLeftovers()
    {
        IptablesRuleSet.RemoveAllTagged(Tag(_settings));
        foreach (AddressFamily family in _families)
        {
            (string[] rule, string[] route) = PolicyRouting(_settings, family);
            // Bounded: an ip rule may have been added more than once by hand.
            for (int i = 0; i < 8 && TryRun(With(rule, "del")); i++)
            {
            }

            TryRun(With(route, "del"));
        }
    }

    private static List<string> Missing(TransparentSettings s, AddressFamily family, string rules, string routes, string mangle)
    {
        var missing = new List<string>();
        string rulePrefix = s.RulePriority.ToString(CultureInfo.InvariantCulture) + ":";
        string ruleText = $"fwmark {Hex(s.ReplyMark)} lookup {s.Table.ToString(CultureInfo.InvariantCulture)}";
        (string[] rule, string[] route) = PolicyRouting(s, family);
        if (!rules.Split('\n').Any(l => l.StartsWith(rulePrefix, StringComparison.Ordinal) && l.Contains(ruleText, StringComparison.Ordinal)))
        {
            missing.Add($"ip {Format(rule, "add")}");
        }

        string localRoute = $"local default dev lo table {s.Table.ToString(CultureInfo.InvariantCulture)} ";
        if (!routes.Split('\n').Any(l => l.StartsWith(localRoute, StringComparison.Ordinal)))
        {
            missing.Add($"ip {Format(route, "add")}");
        }

        foreach (IptablesRule r in MangleRules(s, family))
        {
            // iptables -S writes --set-mark as --set-xmark MARK/0xffffffff and marks in hex.
            string chain = "-A " + r.Chain + " ";
            string setMark = $"--set-xmark {Hex(s.ReplyMark)}/0xffffffff";
            string match = string.Join(' ', r.Matches.Where(m => m.StartsWith("0x", StringComparison.Ordinal) || m is "NEW" or "REPLY"));
            bool present = mangle.Split('\n').Any(l => l.StartsWith(chain, StringComparison.Ordinal) && l.Contains(setMark, StringComparison.Ordinal)
                && l.Contains(r.Target[1], StringComparison.Ordinal) && match.Split(' ').All(m => l.Contains(m, StringComparison.Ordinal)));
            if (!present)
            {
                missing.Add($"{(r.Family == IptablesFamily.IPv6 ? "ip6tables" : "iptables")} -t mangle -A {r.Chain} {string.Join(' ', r.Matches)} {string.Join(' ', r.Target)}");
            }
        }

        return missing;
    }

    private static bool TryRun(string[] arguments)
    {
        try
        {
            IpCommand.Run(arguments);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string[] With(string[] template, string operation) => template.Select(a => a == "{0}" ? operation : a).ToArray();

    private static string Format(string[] template, string operation) => string.Join(' ', With(template, operation));

    private static string Hex(int mark) => "0x" + mark.ToString("x", CultureInfo.InvariantCulture);
}
