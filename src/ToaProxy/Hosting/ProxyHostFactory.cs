using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using ToaProxy.Capture.Flows;
using ToaProxy.Configuration;
using ToaProxy.Relay;

namespace ToaProxy.Hosting;

/// <summary>The composition root: every service of a running proxy is wired here and nowhere else.</summary>
public static class ProxyHostFactory
{
    public static IHost Build(string configPath, string[] overrides)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        builder.Configuration.Sources.Clear();
        ConfigurationLoader.AddSources(builder.Configuration, configPath, overrides);

        builder.Logging.ClearProviders();
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        // Logging:Console:FormatterName selects simple (default), json or systemd.
        builder.Logging.AddConsole();
        builder.Services.Configure<SimpleConsoleFormatterOptions>(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Services.AddSystemd();

        builder.Services.AddOptions<ToaProxyOptions>()
            .Bind(builder.Configuration.GetSection(ToaProxyOptions.SectionName))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ToaProxyOptions>, ToaProxyOptionsValidator>();
        builder.Services.AddSingleton(sp =>
        {
            var errors = new List<string>();
            ProxySettings? settings = SettingsCompiler.Compile(sp.GetRequiredService<IOptions<ToaProxyOptions>>().Value, errors);
            return settings ?? throw new OptionsValidationException(ToaProxyOptions.SectionName, typeof(ToaProxyOptions), errors);
        });
        builder.Services.AddSingleton<CaptureCounters>();
        builder.Services.AddSingleton(sp =>
        {
            CaptureSettings capture = sp.GetRequiredService<ProxySettings>().Capture;
            return new FlowTable(
                new FlowTableOptions { FlowTimeout = capture.FlowTimeout, MaxFlows = capture.MaxFlows },
                sp.GetRequiredService<CaptureCounters>());
        });
        builder.Services.AddSingleton<ConnectionRegistry>();
        builder.Services.AddSingleton<CaptureService>();
        builder.Services.AddSingleton<RelayService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CaptureService>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RelayService>());
        builder.Services.Configure<HostOptions>(o =>
        {
            // Host-level bound on shutdown: the relay's own ShutdownTimeout plus time to close everything.
            ToaProxyOptions raw = ConfigurationLoader.Bind(builder.Configuration);
            TimeSpan drain = Duration.TryParse(raw.ShutdownTimeout, out TimeSpan t) ? t : SettingsCompiler.DefaultShutdownTimeout;
            o.ShutdownTimeout = drain + TimeSpan.FromSeconds(10);
        });

        return builder.Build();
    }
}
