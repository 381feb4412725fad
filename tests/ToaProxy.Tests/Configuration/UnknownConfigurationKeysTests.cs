using Microsoft.Extensions.Configuration;
using ToaProxy.Configuration;
using ToaProxy.Testing;

namespace ToaProxy.Tests.Configuration;

public sealed class UnknownConfigurationKeysTests
{
    private static List<string> Errors(params (string Key, string Value)[] entries)
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(entries.Select(e => new KeyValuePair<string, string?>(e.Key, e.Value)))
            .Build();
        var errors = new List<string>();
        UnknownConfigurationKeys.Report(configuration, errors);
        return errors;
    }

    [Fact]
    public void Every_key_the_options_read_is_accepted_in_any_case()
    {
        List<string> errors = Errors(
            ("ToaProxy:Capture:Backend", "afpacket"),
            ("ToaProxy:Capture:TrustedSources:0", "10.0.0.0/8"),
            ("ToaProxy:Capture:Options:0:Kind", "254"),
            ("ToaProxy:Listeners:0:Listen", "0.0.0.0:80"),
            ("ToaProxy:listeners:0:upstream", "127.0.0.1:81"),
            ("ToaProxy:Listeners:0:Tlvs:0", "crc32c"),
            ("ToaProxy:Listeners:1:Http:TrustForwardedHeadersFrom:0", "127.0.0.1/32"),
            ("ToaProxy:Admin:Listen", "off"),
            ("ToaProxy:Transparent:Table", "7001"),
            ("Logging:LogLevel:Default", "Debug"));

        Assert.Empty(errors);
    }

    [Fact]
    public void A_misspelt_key_is_named_with_its_full_path_and_the_keys_known_there()
    {
        List<string> errors = Errors(
            ("ToaProxy:Listeners:0:Listen", "0.0.0.0:80"),
            ("ToaProxy:Listeners:0:Upstreamx", "127.0.0.1:81"),
            ("ToaProxy:Capture:TrustedSource:0", "10.0.0.0/8"),
            ("ToaProxy:Listeners:0:Http:Forwardd", "true"),
            ("ToaProxy:Capturee", "x"));

        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("ToaProxy:Listeners:0:Upstreamx: unknown key (known here: Name, Listen, Upstream,", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ToaProxy:Capture:TrustedSource: unknown key", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ToaProxy:Listeners:0:Http:Forwardd: unknown key", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ToaProxy:Capturee: unknown key", StringComparison.Ordinal));
    }

    [Fact]
    public void A_list_written_as_an_object_is_reported()
    {
        List<string> errors = Errors(("ToaProxy:Listeners:web:Listen", "0.0.0.0:80"));

        Assert.Equal("ToaProxy:Listeners:web: \"web\" is not a list index (the value of ToaProxy:Listeners is a list)", Assert.Single(errors));
    }

    [Fact]
    public void Every_shipped_config_file_has_only_known_keys()
    {
        string root = RepositoryRoot.Path;
        string[] files = [.. Directory.GetFiles(Path.Combine(root, "config"), "*.json"), .. Directory.GetFiles(Path.Combine(root, "deploy"), "*.json", SearchOption.AllDirectories)];
        Assert.NotEmpty(files);
        foreach (string file in files)
        {
            IConfiguration configuration = new ConfigurationBuilder().AddJsonFile(file).Build();
            var errors = new List<string>();
            UnknownConfigurationKeys.Report(configuration, errors);
            Assert.True(errors.Count == 0, $"{file}: {string.Join("; ", errors)}");
        }
    }
}
