namespace ToaProxy.Configuration;

/// <summary>The "ToaProxy" configuration section as bound from JSON, environment and command line.
/// Values stay as the user wrote them; <see cref="SettingsCompiler"/> turns them into typed settings
/// and names the key and value at fault when one is wrong.</summary>
public sealed class ToaProxyOptions
{
    public const string SectionName = "ToaProxy";

    public CaptureOptions Capture { get; set; } = new();

    public List<ListenerOptions> Listeners { get; set; } = [];

    public AdminOptions Admin { get; set; } = new();

    /// <summary>Reply routing for listeners with Protocol transparent.</summary>
    public TransparentOptions Transparent { get; set; } = new();

    /// <summary>How long live connections may finish after SIGTERM before they are closed.</summary>
    public string? ShutdownTimeout { get; set; }
}
