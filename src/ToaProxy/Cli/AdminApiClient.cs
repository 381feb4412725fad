using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using ToaProxy.Admin;
using ToaProxy.Configuration;

namespace ToaProxy.Cli;

/// <summary>
/// Reads a running toaproxy's admin API for the `flows` and `stats` commands. The address is
/// --admin when given, else the Admin:Listen of --config (a wildcard address is reached on loopback),
/// else the default 127.0.0.1:9901.
/// </summary>
internal sealed class AdminApiClient : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);
    private readonly HttpClient _http;

    private AdminApiClient(Uri baseAddress)
    {
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = RequestTimeout };
    }

    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>Creates a client for the resolved address; false with a message when none can be resolved.</summary>
    public static bool TryCreate(string? adminOption, string configPath, out AdminApiClient? client, out string error)
    {
        client = null;
        string listen = SettingsCompiler.DefaultAdminListen;
        if (!string.IsNullOrWhiteSpace(adminOption))
        {
            listen = adminOption.Trim();
        }
        else if (File.Exists(configPath))
        {
            var builder = new ConfigurationBuilder();
            ConfigurationLoader.AddSources(builder, configPath, []);
            AdminOptions admin = ConfigurationLoader.Bind(builder.Build()).Admin;
            if (admin.IsOff)
            {
                error = $"the admin endpoint is off in {configPath} (ToaProxy:Admin:Listen); pass --admin HOST:PORT";
                return false;
            }

            listen = admin.Listen ?? listen;
        }

        if (!HostPort.TryParse(listen, out HostPort target, out string parseError))
        {
            error = $"admin address \"{listen}\" {parseError}";
            return false;
        }

        string host = target.Address switch
        {
            IPAddress a when a.Equals(IPAddress.Any) => "127.0.0.1",
            IPAddress a when a.Equals(IPAddress.IPv6Any) => "[::1]",
            _ => target.Host.Contains(':') ? $"[{target.Host}]" : target.Host,
        };
        client = new AdminApiClient(new Uri($"http://{host}:{target.Port}/"));
        error = string.Empty;
        return true;
    }

    /// <summary>GET <paramref name="path"/>: the body as sent. Throws HttpRequestException when unreachable or not 2xx.</summary>
    public async Task<string> GetTextAsync(string path, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await _http.GetAsync(path, cancellationToken).ConfigureAwait(false);
        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET {path} answered {(int)response.StatusCode}: {body.Trim()}");
        }

        return body;
    }

    public async Task<T> GetJsonAsync<T>(string path, CancellationToken cancellationToken)
    {
        string body = await GetTextAsync(path, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize<T>(body, AdminJson.Options)
            ?? throw new HttpRequestException($"GET {path} answered JSON null");
    }

    public void Dispose() => _http.Dispose();
}
