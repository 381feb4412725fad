using Microsoft.Extensions.Configuration;

namespace ToaProxy.Configuration;

/// <summary>
/// The configuration sources, in order of precedence from low to high: the JSON file, environment
/// variables prefixed TOAPROXY_ (e.g. TOAPROXY_ToaProxy__Capture__Backend=nfqueue), then command-line
/// overrides (e.g. --ToaProxy:Capture:Backend=nfqueue).
/// </summary>
public static class ConfigurationLoader
{
    public const string EnvironmentPrefix = "TOAPROXY_";

    public static void AddSources(IConfigurationBuilder builder, string configPath, string[] overrides)
    {
        string fullPath = Path.GetFullPath(configPath);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"Config file \"{configPath}\" does not exist (looked at {fullPath}).", fullPath);
        }

        builder.AddJsonFile(fullPath, optional: false, reloadOnChange: false);
        builder.AddEnvironmentVariables(EnvironmentPrefix);
        builder.AddCommandLine(overrides);
    }

    public static ToaProxyOptions Bind(IConfiguration configuration)
    {
        var options = new ToaProxyOptions();
        configuration.GetSection(ToaProxyOptions.SectionName).Bind(options);
        return options;
    }

    /// <summary>Binds and compiles; unknown keys and wrong values all land in <paramref name="errors"/>, each naming its key.</summary>
    public static ProxySettings? Compile(IConfiguration configuration, List<string> errors)
    {
        UnknownConfigurationKeys.Report(configuration, errors);
        ProxySettings? settings = SettingsCompiler.Compile(Bind(configuration), errors);
        return errors.Count == 0 ? settings : null;
    }
}
