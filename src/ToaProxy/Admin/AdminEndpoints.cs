using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;
using ToaProxy.Capture.Flows;
using ToaProxy.Hosting;

namespace ToaProxy.Admin;

/// <summary>
/// The admin API's routes: /flows, /stats, /metrics, /healthz, /readyz, the status page at /, and
/// POST /capture/restart.
/// Handlers take RequestDelegate form and write their own responses, so nothing is bound by reflection.
/// </summary>
public static class AdminEndpoints
{
    private const string TextContentType = "text/plain; charset=utf-8";
    private const string JsonContentType = "application/json; charset=utf-8";

    private static readonly Lazy<byte[]> StatusPage = new(LoadStatusPage);

    public static void Map(IEndpointRouteBuilder routes, CollectorRegistry metrics)
    {
        routes.MapGet("/", WriteStatusPageAsync);
        routes.MapGet("/flows", WriteFlowsAsync);
        routes.MapGet("/stats", WriteStatsAsync);
        routes.MapGet("/healthz", context => WriteJsonAsync(context, StatusCodes.Status200OK, new { status = "up" }));
        routes.MapGet("/readyz", WriteReadinessAsync);
        routes.MapMetrics("/metrics", metrics);
        routes.MapPost("/capture/restart", RestartCaptureAsync);
    }

    private static Task WriteFlowsAsync(HttpContext context)
    {
        IQueryCollection query = context.Request.Query;
        if (!FlowPageReader.TryParseQuery(query["cursor"].FirstOrDefault(), query["limit"].FirstOrDefault(), out int cursor, out int limit, out string error))
        {
            return WriteJsonAsync(context, StatusCodes.Status400BadRequest, new { error });
        }

        FlowPage page = FlowPageReader.Read(context.RequestServices.GetRequiredService<FlowTable>(), cursor, limit);
        return WantsText(context)
            ? WriteTextAsync(context, FlowsText.Format(page))
            : WriteJsonAsync(context, StatusCodes.Status200OK, page);
    }

    private static Task WriteStatsAsync(HttpContext context)
    {
        StatsReport stats = context.RequestServices.GetRequiredService<ProxyStatus>().Stats();
        return WantsText(context)
            ? WriteTextAsync(context, StatsText.Format(stats))
            : WriteJsonAsync(context, StatusCodes.Status200OK, stats);
    }

    private static Task WriteReadinessAsync(HttpContext context)
    {
        ReadinessReport readiness = context.RequestServices.GetRequiredService<ProxyStatus>().Readiness();
        return WriteJsonAsync(context, readiness.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, readiness);
    }

    private static async Task RestartCaptureAsync(HttpContext context)
    {
        Exception? error = await context.RequestServices.GetRequiredService<CaptureService>().RestartAsync(context.RequestAborted);
        ReadinessReport readiness = context.RequestServices.GetRequiredService<ProxyStatus>().Readiness();
        await (error is null
            ? WriteJsonAsync(context, StatusCodes.Status200OK, new { restarted = true, readiness })
            : WriteJsonAsync(context, StatusCodes.Status503ServiceUnavailable, new { restarted = false, error = error.Message, readiness }));
    }

    private static Task WriteStatusPageAsync(HttpContext context)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.Body.WriteAsync(StatusPage.Value, context.RequestAborted).AsTask();
    }

    private static bool WantsText(HttpContext context) =>
        string.Equals(context.Request.Query["format"].FirstOrDefault(), "text", StringComparison.OrdinalIgnoreCase);

    private static Task WriteTextAsync(HttpContext context, string text)
    {
        context.Response.ContentType = TextContentType;
        return context.Response.WriteAsync(text, context.RequestAborted);
    }

    private static Task WriteJsonAsync<T>(HttpContext context, int status, T value)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = JsonContentType;
        return JsonSerializer.SerializeAsync(context.Response.Body, value, AdminJson.Options, context.RequestAborted);
    }

    private static byte[] LoadStatusPage()
    {
        using Stream page = Assembly.GetExecutingAssembly().GetManifestResourceStream("ToaProxy.Admin.StatusPage.html")
            ?? throw new InvalidOperationException("the status page is not embedded in the assembly");
        using var copy = new MemoryStream();
        page.CopyTo(copy);
        return copy.ToArray();
    }
}
