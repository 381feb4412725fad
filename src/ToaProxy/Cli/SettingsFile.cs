using Microsoft.Extensions.Configuration;
using ToaProxy.Configuration;

namespace ToaProxy.Cli;

/// <summary>Loads and compiles a config file for the offline commands (inspect, doctor), reporting
/// every problem as a line instead of throwing.</summary>
internal static class SettingsFile
{
    public static ProxySettings? TryLoad(string configPath, List<string> errors)
    {
        try
        {
            var builder = new ConfigurationBuilder();
            ConfigurationLoader.AddSources(builder, configPath, []);
            return SettingsCompiler.Compile(ConfigurationLoader.Bind(builder.Build()), errors);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidOperationException or FormatException or InvalidDataException)
        {
            errors.Add(e.Message);
            return null;
        }
    }
}
