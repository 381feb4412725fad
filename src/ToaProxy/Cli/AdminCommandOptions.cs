using System.CommandLine;

namespace ToaProxy.Cli;

/// <summary>The options every admin-API command shares: where the instance is, and raw JSON output.</summary>
internal sealed class AdminCommandOptions
{
    public Option<string?> Admin { get; } = new("--admin")
    {
        Description = "Admin endpoint of the running instance, HOST:PORT (default: Admin:Listen of --config, else 127.0.0.1:9901).",
    };

    public Option<bool> Json { get; } = new("--json") { Description = "Print the API's JSON instead of a table." };

    /// <summary>Runs <paramref name="body"/> with a client for the resolved address; prints why and returns 1 when the API cannot be read.</summary>
    public static async Task<int> WithClientAsync(string? admin, string configPath, string commandName, Func<AdminApiClient, Task<int>> body)
    {
        AdminApiClient? client;
        string error;
        try
        {
            if (!AdminApiClient.TryCreate(admin, configPath, out client, out error))
            {
                await Console.Error.WriteLineAsync($"toaproxy {commandName}: {error}").ConfigureAwait(false);
                return 1;
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException)
        {
            await Console.Error.WriteLineAsync($"toaproxy {commandName}: {configPath}: {e.Message}").ConfigureAwait(false);
            return 1;
        }

        using (client)
        {
            try
            {
                return await body(client!).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
                await Console.Error.WriteLineAsync(
                    $"toaproxy {commandName}: cannot read the admin API at {client!.BaseAddress}: {e.Message} (is toaproxy running with Admin:Listen on?)").ConfigureAwait(false);
                return 1;
            }
        }
    }
}
