using System.CommandLine;
using ToaProxy.Capture;
using ToaProxy.Configuration;
using ToaProxy.Inspection;
using ToaProxy.Protocol;

namespace ToaProxy.Cli;

/// <summary>
/// <c>toaproxy inspect FILE</c>: offline, every TCP connection in a .pcap/.pcapng with its TOA or the
/// reason it has none. Replaces "look for unknown-200 / unknown-253 in tcpdump -v".
/// </summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A .pcap or .pcapng file, e.g. from: tcpdump -i any -U -w toa.pcap 'tcp port 8080'" };
        var config = new Option<string?>("--config", "-c")
        {
            Description = "Read TOA kinds (Capture:Options) and TrustedSources from this config; without it the default kinds are read and every source is trusted.",
        };
        var port = new Option<int?>("--port", "-p") { Description = "Only connections to this server port." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var command = new Command("inspect", "List every TCP connection in a capture file with its TOA (kind, real client, packets that carried it) or why it has none.")
        {
            file,
            config,
            port,
            json,
        };
        command.SetAction(parse => Run(parse.GetValue(file)!, parse.GetValue(config), parse.GetValue(port), parse.GetValue(json), Console.Out, Console.Error));
        return command;
    }

    public static int Run(string file, string? configPath, int? port, bool json, TextWriter output, TextWriter errorOutput)
    {
        if (port is < 1 or > 65535)
        {
            errorOutput.WriteLine($"toaproxy inspect: --port {port} is not a port from 1 to 65535");
            return 1;
        }

        ToaOptionTable options = ToaOptionTable.Default;
        TrustedSourceList trusted = TrustedSourceList.Everyone;
        if (configPath is not null)
        {
            var errors = new List<string>();
            ProxySettings? settings = SettingsFile.TryLoad(configPath, errors);
            if (settings is null)
            {
                errorOutput.WriteLine($"toaproxy inspect: {configPath}: {string.Join("; ", errors)}");
                return 1;
            }

            options = settings.Capture.OptionTable;
            trusted = settings.Capture.TrustedSources;
        }

        var inspector = new CaptureFileInspector(options, trusted, (ushort?)port);
        IReadOnlyList<InspectedFlow> flows;
        try
        {
            flows = inspector.Inspect(file);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or DllNotFoundException)
        {
            errorOutput.WriteLine($"toaproxy inspect: {e.Message}");
            return 1;
        }

        if (json)
        {
            InspectionReport.WriteJson(output, file, flows, inspector.Frames, inspector.SkippedFrames);
        }
        else
        {
            InspectionReport.WriteTable(output, file, flows, inspector.Frames, inspector.SkippedFrames);
        }

        return 0;
    }
}
