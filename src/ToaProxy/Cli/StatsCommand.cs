using System.CommandLine;
using ToaProxy.Admin;

namespace ToaProxy.Cli;

/// <summary>`toaproxy stats`: every counter of a running instance (the /proc/net/toa_stats of toa.ko), from GET /stats.</summary>
internal static class StatsCommand
{
    public static Command Create(Option<string> configOption)
    {
        var shared = new AdminCommandOptions();
        var command = new Command("stats", "Print every counter of a running toaproxy (capture, flow table, each listener) from its admin API.")
        {
            configOption,
            shared.Admin,
            shared.Json,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(shared.Admin), parse.GetValue(configOption)!, parse.GetValue(shared.Json), Console.Out, cancellationToken));
        return command;
    }

    public static Task<int> RunAsync(string? admin, string configPath, bool json, TextWriter output, CancellationToken cancellationToken) =>
        AdminCommandOptions.WithClientAsync(admin, configPath, "stats", async client =>
        {
            if (json)
            {
                output.WriteLine((await client.GetTextAsync("stats", cancellationToken).ConfigureAwait(false)).TrimEnd());
                return 0;
            }

            StatsReport stats = await client.GetJsonAsync<StatsReport>("stats", cancellationToken).ConfigureAwait(false);
            output.Write(StatsText.Format(stats));
            return 0;
        });
}
