using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using ToaProxy.Admin;
using ToaProxy.Capture.Flows;
using ToaProxy.Configuration;
using ToaProxy.Metrics;
using ToaProxy.Relay;
using ToaProxy.Relay.Epoll;
using ToaProxy.Transparent;

namespace ToaProxy.Hosting;

/// <summary>The composition root: every service of a running proxy is wired here and nowhere else.</summary>
public static class ProxyHostFactory
{
    public static IHost Build(string configPath, string[] overrides)
    {
        var configuration = new ConfigurationManager();
        ConfigurationLoader.AddSources(configuration, configPath, overrides);
        ToaProxyOptions raw = ConfigurationLoader.Bind(configuration);

        // With the admin endpoint off the proxy is a plain generic host: no Kestrel, no HTTP port.
        if (raw.Admin.IsOff)
        {
            HostApplicationBuilder plain = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
            {
                DisableDefaults = true,
                ContentRootPath = Directory.GetCurrentDirectory(),
                Configuration = configuration,
            });
            AddProxyServices(plain, raw, new ConfigSource(configPath, overrides));
            return plain.Build();
        }

        WebApplicationBuilder web = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        web.Configuration.AddConfiguration(configuration);
        AddProxyServices(web, raw, new ConfigSource(configPath, overrides));
        web.WebHost.UseKestrelCore();
        web.Services.AddRouting();
        web.Services.AddSingleton<PrometheusMeterExport>();
        web.Services.AddOptions<KestrelServerOptions>().Configure<ProxySettings>((kestrel, settings) =>
        {
            if (settings.AdminEndpoint is not null)
            {
                kestrel.Listen(settings.AdminEndpoint);
            }
        });

        WebApplication app = web.Build();
        AdminEndpoints.Map(app, app.Services.GetRequiredService<PrometheusMeterExport>().Registry);
        return app;
    }

    private static void AddProxyServices(IHostApplicationBuilder builder, ToaProxyOptions raw, ConfigSource source)
    {
        builder.Logging.ClearProviders();
        // Kestrel logs every admin request at Information; Logging:LogLevel can still lower this.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // YARP logs two lines per forwarded request at Information and every upstream failure with a
        // stack trace; HTTP-mode listeners report upstream failures themselves, rate-limited.
        builder.Logging.AddFilter("Yarp", LogLevel.Error);
        // The generic host logs a start failure with its stack trace before rethrowing it; `run`
        // reports it as one line naming the listener or key (and anything unexpected still surfaces
        // with its stack as an unhandled exception), so an operator sees the cause, not a trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
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
        builder.Services.AddSingleton(services => new RelayWorkerPool(services.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddSingleton<CaptureService>();
        builder.Services.AddSingleton<RelayService>();
        builder.Services.AddSingleton(source);
        builder.Services.AddSingleton<ReloadStatus>();
        builder.Services.AddSingleton<ConfigReloadService>();
        builder.Services.AddSingleton<ProxyStatus>();
        // The metrics' observable counters read ProxyStatus, which reads the relay, which records into
        // the metrics: the status is resolved at collection time to break that cycle.
        builder.Services.AddSingleton(sp => new ToaProxyMetrics(() => sp.GetRequiredService<ProxyStatus>()));
        builder.Services.AddHostedService<TransparentRoutingService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CaptureService>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RelayService>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ConfigReloadService>());
        builder.Services.Configure<HostOptions>(o =>
        {
            // Host-level bound on shutdown: the relay's own ShutdownTimeout plus time to close everything.
            TimeSpan drain = Duration.TryParse(raw.ShutdownTimeout, out TimeSpan t) ? t : SettingsCompiler.DefaultShutdownTimeout;
            o.ShutdownTimeout = drain + TimeSpan.FromSeconds(10);
        });
    }
}
