using System.Text.Json;

namespace ToaProxy.Admin;

/// <summary>The one JSON shape of the admin API, shared by the endpoint and the CLI that reads it.</summary>
public static class AdminJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
    };
}
