using ToaProxy.Capture;

namespace ToaProxy.Transparent;

/// <summary>Runs iproute2's <c>ip</c> (policy rules and routes of transparent mode).</summary>
public static class IpCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Returns stdout; throws <see cref="InvalidOperationException"/> naming the command and its stderr.</summary>
    public static string Run(IEnumerable<string> arguments) => SystemCommand.Run(SystemCommand.Find("ip"), arguments, Timeout, Fail);

    /// <summary>Starts <c>ip</c> without waiting; <see cref="SystemCommand.Finish"/> throws as <see cref="Run"/> does.</summary>
    public static SystemCommand Start(IEnumerable<string> arguments) => SystemCommand.Start(SystemCommand.Find("ip"), arguments, Fail);

    private static InvalidOperationException Fail(string message, Exception? cause) => new(message, cause);
}
