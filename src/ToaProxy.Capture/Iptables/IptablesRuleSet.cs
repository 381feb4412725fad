using System.Text.RegularExpressions;

namespace ToaProxy.Capture.Iptables;

/// <summary>
/// Rules this process installed, each tagged with the comment <c>toaproxy:&lt;tag&gt;</c>. Rules are
/// inserted at the top of their chain, so an earlier "-i lo -j ACCEPT" cannot keep loopback traffic
/// from them. Dispose deletes exactly the rules added (iptables -D with the same spec);
/// <see cref="RemoveAllTagged"/> cleans up what a crashed process left behind.
/// </summary>
public sealed partial class IptablesRuleSet : IDisposable
{
    public const string CommentPrefix = "toaproxy:";

    /// <summary>The tables a tagged rule may live in (security for observers after the filter table).</summary>
    private static readonly string[] Tables = ["filter", "mangle", "security"];

    private readonly List<IptablesRule> _added = [];
    private readonly Lock _lock = new();

    public IptablesRuleSet(string tag)
    {
        if (!ValidTag().IsMatch(tag))
        {
            throw new ArgumentException($"Rule tag '{tag}' must be 1-200 characters of letters, digits, '.', '_', '-', ':'.", nameof(tag));
        }

        Tag = tag;
    }

    public string Tag { get; }

    public string Comment => CommentPrefix + Tag;

    /// <summary>Inserts the rule at the top of its chain and remembers it for removal.</summary>
    public void Add(IptablesRule rule)
    {
        lock (_lock)
        {
            IptablesCommand.Run(rule.Family, Arguments(rule, "-I", insertAtTop: true));
            _added.Add(rule);
        }
    }

    /// <summary>Deletes the rules added, newest first. Every deletion is attempted; failures are
    /// reported together. A rule already gone (someone ran RemoveAllTagged) is not an error.</summary>
    public void RemoveAdded()
    {
        var errors = new List<Exception>();
        lock (_lock)
        {
            for (int i = _added.Count - 1; i >= 0; i--)
            {
                IptablesRule rule = _added[i];
                try
                {
                    if (IsPresent(rule))
                    {
                        IptablesCommand.Run(rule.Family, Arguments(rule, "-D", insertAtTop: false));
                    }
                }
                catch (IptablesException e)
                {
                    errors.Add(e);
                }
            }

            _added.Clear();
        }

        if (errors.Count > 0)
        {
            throw new AggregateException($"Removing iptables rules tagged '{Comment}' failed", errors);
        }
    }

    public void Dispose() => RemoveAdded();

    /// <summary>Lines of <c>iptables -S</c>/<c>ip6tables -S</c> (prefixed with the family) carrying this tag's comment.</summary>
    public static IReadOnlyList<string> ListTagged(string tag)
    {
        var lines = new List<string>();
        foreach ((IptablesFamily family, string table, List<string> arguments) in FindTagged(tag))
        {
            lines.Add($"{family} -t {table} {string.Join(' ', arguments)}");
        }

        return lines;
    }

    /// <summary>Deletes every rule whose comment is <c>toaproxy:&lt;tag&gt;</c>, in every family and
    /// table this class uses; returns how many were deleted.</summary>
    public static int RemoveAllTagged(string tag)
    {
        int removed = 0;
        foreach ((IptablesFamily family, string table, List<string> arguments) in FindTagged(tag))
        {
            arguments[0] = "-D";
            IptablesCommand.Run(family, ["-t", table, .. arguments]);
            removed++;
        }

        return removed;
    }

    private static List<(IptablesFamily Family, string Table, List<string> Arguments)> FindTagged(string tag)
    {
        string comment = CommentPrefix + tag;
        var found = new List<(IptablesFamily, string, List<string>)>();
        foreach (IptablesFamily family in (IptablesFamily[])[IptablesFamily.IPv4, IptablesFamily.IPv6])
        {
            foreach (string table in Tables)
            {
                foreach (string line in IptablesCommand.Run(family, ["-t", table, "-S"]).Split('\n'))
                {
                    if (!line.StartsWith("-A ", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    List<string> arguments = IptablesSaveLine.Split(line);
                    int at = arguments.IndexOf("--comment");
                    if (at >= 0 && at + 1 < arguments.Count && arguments[at + 1] == comment)
                    {
                        found.Add((family, table, arguments));
                    }
                }
            }
        }

        return found;
    }

    private bool IsPresent(IptablesRule rule)
    {
        try
        {
            IptablesCommand.Run(rule.Family, Arguments(rule, "-C", insertAtTop: false));
            return true;
        }
        catch (IptablesException)
        {
            return false;
        }
    }

    private List<string> Arguments(IptablesRule rule, string operation, bool insertAtTop)
    {
        List<string> arguments = ["-t", rule.Table, operation, rule.Chain];
        if (insertAtTop)
        {
            arguments.Add("1");
        }

        arguments.AddRange(rule.Matches);
        arguments.AddRange(["-m", "comment", "--comment", Comment]);
        arguments.AddRange(rule.Target);
        return arguments;
    }

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,200}$")]
    private static partial Regex ValidTag();
}
