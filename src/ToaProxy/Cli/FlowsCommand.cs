using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ToaProxy.Admin;

namespace ToaProxy.Cli;

/// <summary>`toaproxy flows`: the live flow table of a running instance (the /proc/net/toa_table of toa.ko), from GET /flows.</summary>
internal static class FlowsCommand
{
    public static Command Create(Option<string> configOption)
    {
        var shared = new AdminCommandOptions();
        var limit = new Option<int>("--limit")
        {
            Description = $"Flows per page (1 to {FlowPageReader.MaxLimit}).",
            DefaultValueFactory = _ => FlowPageReader.DefaultLimit,
        };
        var cursor = new Option<int>("--cursor") { Description = "Start at this cursor (the next-page cursor a previous page printed).", DefaultValueFactory = _ => 0 };
        var all = new Option<bool>("--all") { Description = "Page through the whole table with the cursor and print every flow." };
        var command = new Command("flows", "Print the live flow table of a running toaproxy (connection, real client, TOA kind, where seen, age, state) from its admin API.")
        {
            configOption,
            shared.Admin,
            shared.Json,
            limit,
            cursor,
            all,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(shared.Admin), parse.GetValue(configOption)!, parse.GetValue(shared.Json),
            parse.GetValue(limit), parse.GetValue(cursor), parse.GetValue(all), Console.Out, cancellationToken));
        return command;
    }

    public static Task<int> RunAsync(
        string? admin, string configPath, bool json, int limit, int cursor, bool all, TextWriter output, CancellationToken cancellationToken) =>
        AdminCommandOptions.WithClientAsync(admin, configPath, "flows", async client =>
        {
            if (!all)
            {
                string path = Path(cursor, limit);
                if (json)
                {
                    output.WriteLine((await client.GetTextAsync(path, cancellationToken).ConfigureAwait(false)).TrimEnd());
                    return 0;
                }

                output.Write(FlowsText.Format(await client.GetJsonAsync<FlowPage>(path, cancellationToken).ConfigureAwait(false)));
                return 0;
            }

            // Page by page, so the proxy never serves more than one page's worth under its table lock.
            var flows = new List<FlowRow>();
            int? next = cursor;
            while (next is int at)
            {
                FlowPage page = await client.GetJsonAsync<FlowPage>(Path(at, limit), cancellationToken).ConfigureAwait(false);
                flows.AddRange(page.Flows);
                next = page.NextCursor;
            }

            if (json)
            {
                output.WriteLine(JsonSerializer.Serialize(new FlowPage(flows, null, flows.Count), AdminJson.Options));
                return 0;
            }

            output.Write(FlowsText.Table(flows).ToString());
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# {flows.Count} flows"));
            return 0;
        });

    private static string Path(int cursor, int limit) =>
        string.Create(CultureInfo.InvariantCulture, $"flows?cursor={cursor}&limit={limit}");
}
