using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ToaProxy.Hosting;

namespace ToaProxy.Cli;

internal static class RunCommand
{
    public static Command Create(Option<string> configOption)
    {
        var overrides = new Argument<string[]>("overrides")
        {
            Description = "Config overrides, e.g. --ToaProxy:Capture:Backend=nfqueue (after --)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("run", "Run the proxy: capture TOA and relay connections with a PROXY header.")
        {
            configOption,
            overrides,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            string config = parse.GetValue(configOption)!;
            string[] extra = [.. parse.GetValue(overrides) ?? [], .. parse.UnmatchedTokens];
            return await RunAsync(config, extra, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    public static async Task<int> RunAsync(string config, string[] overrides, CancellationToken cancellationToken)
    {
        IHost host;
        try
        {
            host = ProxyHostFactory.Build(config, overrides);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidOperationException or FormatException or InvalidDataException)
        {
            await Console.Error.WriteLineAsync($"toaproxy: {e.Message}").ConfigureAwait(false);
            return 1;
        }

        using (host)
        {
            try
            {
                await host.RunAsync(cancellationToken).ConfigureAwait(false);
                return 0;
            }
            catch (OptionsValidationException e)
            {
                await Console.Error.WriteLineAsync("toaproxy: invalid configuration:").ConfigureAwait(false);
                foreach (string failure in e.Failures)
                {
                    await Console.Error.WriteLineAsync($"  {failure}").ConfigureAwait(false);
                }

                return 1;
            }
            catch (Exception e) when (e is InvalidOperationException or IOException)
            {
                // IOException: Kestrel could not bind the admin endpoint (its message names the address).
                await Console.Error.WriteLineAsync($"toaproxy: {e.Message}").ConfigureAwait(false);
                return 1;
            }
        }
    }
}
