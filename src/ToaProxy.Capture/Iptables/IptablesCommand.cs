namespace ToaProxy.Capture.Iptables;

/// <summary>Runs iptables or ip6tables (always with -w, so a concurrent user's lock makes us wait, not fail).</summary>
public static class IptablesCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Returns stdout; throws <see cref="IptablesException"/> naming the command and its stderr.</summary>
    public static string Run(IptablesFamily family, IEnumerable<string> arguments)
    {
        using SystemCommand command = Start(family, arguments);
        return command.Finish(Timeout);
    }

    /// <summary>Starts the tool without waiting; <see cref="SystemCommand.Finish"/> throws as <see cref="Run"/> does.</summary>
    public static SystemCommand Start(IptablesFamily family, IEnumerable<string> arguments) => SystemCommand.Start(
        SystemCommand.Find(family == IptablesFamily.IPv4 ? "iptables" : "ip6tables"),
        ["-w", .. arguments],
        (message, cause) => cause is null ? new IptablesException(message) : new IptablesException(message, cause));
}
