using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using ToaProxy.Configuration;
using ToaProxy.Protocol;

namespace ToaProxy.Cli;

internal static class CheckConfigCommand
{
    public static Command Create(Option<string> configOption)
    {
        var command = new Command("check-config", "Validate the configuration and print the effective settings; exit 0 when valid, 1 otherwise.")
        {
            configOption,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parse =>
        {
            string config = parse.GetValue(configOption)!;
            return Check(config, [.. parse.UnmatchedTokens], Console.Out, Console.Error);
        });
        return command;
    }

    public static int Check(string configPath, string[] overrides, TextWriter output, TextWriter errorOutput)
    {
        var errors = new List<string>();
        ProxySettings? settings;
        try
        {
            var builder = new ConfigurationBuilder();
            ConfigurationLoader.AddSources(builder, configPath, overrides);
            settings = ConfigurationLoader.Compile(builder.Build(), errors);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidOperationException or FormatException or InvalidDataException)
        {
            errorOutput.WriteLine($"toaproxy: {e.Message}");
            return 1;
        }

        if (settings is null)
        {
            errorOutput.WriteLine($"toaproxy: {configPath}: invalid configuration:");
            foreach (string error in errors)
            {
                errorOutput.WriteLine($"  {error}");
            }

            return 1;
        }

        output.WriteLine(Describe(settings).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        output.WriteLine($"{configPath}: configuration is valid");
        return 0;
    }

    /// <summary>The effective settings, defaults filled in, as operators would write them.</summary>
    private static JsonObject Describe(ProxySettings s) => new()
    {
        ["Capture"] = new JsonObject
        {
            ["Backend"] = s.Capture.Backend.ToString().ToLowerInvariant(),
            ["Interface"] = s.Capture.Interface,
            ["QueueNumber"] = s.Capture.QueueNumber,
            ["ManageRules"] = s.Capture.ManageRules,
            ["StripOption"] = s.Capture.StripOption,
            ["Options"] = new JsonArray([.. s.Capture.OptionSpecs.Select(o => (JsonNode)new JsonObject
            {
                ["Kind"] = o.Kind,
                ["Length"] = o.Length,
                ["Layout"] = ToaLayoutName.Format(o.Layout),
            })]),
            ["TrustedSources"] = new JsonArray([.. s.Capture.TrustedSources.Ranges.Select(r => (JsonNode)JsonValue.Create(r.ToString())!)]),
            ["FlowTimeout"] = Duration.Format(s.Capture.FlowTimeout),
            ["MaxFlows"] = s.Capture.MaxFlows,
        },
        ["Listeners"] = new JsonArray([.. s.Listeners.Select(l => (JsonNode)new JsonObject
        {
            ["Name"] = l.Name,
            ["Listen"] = l.Listen.ToString(),
            ["Upstream"] = l.Upstream.ToString(),
            ["Protocol"] = ProxyProtocolName.Format(l),
            ["WithoutToa"] = l.WithoutToa.ToString().ToLowerInvariant(),
            ["Destination"] = l.Destination.ToString().ToLowerInvariant(),
            ["ToaWait"] = Duration.Format(l.ToaWait),
            ["WaitForData"] = l.WaitForData,
            ["ConnectTimeout"] = Duration.Format(l.ConnectTimeout),
            ["IdleTimeout"] = Duration.Format(l.IdleTimeout),
            ["MaxConnections"] = l.MaxConnections,
            ["Tlvs"] = new JsonArray([.. TlvNames(l.Tlvs).Select(t => (JsonNode)JsonValue.Create(t)!)]),
            ["VpcIdTlvType"] = l.VpcIdTlvType,
        })]),
        ["Transparent"] = new JsonObject
        {
            ["ManageRules"] = s.Transparent.ManageRules,
            ["SocketMark"] = s.Transparent.SocketMark,
            ["ReplyMark"] = s.Transparent.ReplyMark,
            ["Table"] = s.Transparent.Table,
            ["RulePriority"] = s.Transparent.RulePriority,
        },
        ["Admin"] = new JsonObject { ["Listen"] = s.AdminEndpoint?.ToString() ?? "off" },
        ["ShutdownTimeout"] = Duration.Format(s.ShutdownTimeout),
    };

    private static IEnumerable<string> TlvNames(ProxyTlvSelection tlvs)
    {
        if (tlvs.HasFlag(ProxyTlvSelection.UniqueId))
        {
            yield return "unique-id";
        }

        if (tlvs.HasFlag(ProxyTlvSelection.Crc32c))
        {
            yield return "crc32c";
        }

        if (tlvs.HasFlag(ProxyTlvSelection.VpcId))
        {
            yield return "vpc-id";
        }
    }
}
