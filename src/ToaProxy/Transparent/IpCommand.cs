using ToaProxy.Capture;

namespace ToaProxy.Transparent;

/// <summary>Runs iproute2's <c>ip</c> (policy rules and routes of transparent mode).</summary>
public static class IpCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Returns stdout; throws <see cref="InvalidOperationException"/> naming the command and its stderr.</summary>
    public static string Run(IEnumerable<string> arguments) =>
        SystemCommand.Run(SystemCommand.Find("ip"), arguments, Timeout, (message, cause) => new InvalidOperationException(message, cause));
}
