using System.Globalization;
using System.Text;

namespace ToaProxy.Admin;

/// <summary>/stats as aligned text (GET /stats?format=text and `toaproxy stats`): the capture's counters, then the listeners side by side.</summary>
public static class StatsText
{
    public static string Format(StatsReport stats)
    {
        var output = new StringBuilder();
        CaptureReport capture = stats.Capture;
        output.Append(CultureInfo.InvariantCulture, $"capture: {capture.Backend}, {(capture.Backend == "none" ? "disabled" : capture.Running ? "running" : "not running")}, {capture.Flows} flows");
        output.Append(capture.Restarts == 0 ? string.Empty : $", restarted {Number(capture.Restarts)} times");
        output.Append(capture.Fault is null ? "\n\n" : $", fault: {capture.Fault}\n\n");

        var captureTable = new TextTable("counter", "value");
        foreach ((string name, long value) in capture.Counters)
        {
            captureTable.Add(name, Number(value));
        }

        foreach ((string name, long value) in capture.BackendStatistics ?? [])
        {
            captureTable.Add($"backend_{name}", Number(value));
        }

        captureTable.WriteTo(output);

        var listeners = new TextTable("listener", "listen", "upstream", "bound");
        foreach (ListenerReport listener in stats.Listeners)
        {
            listeners.Add(listener.Name, listener.Listen, listener.Upstream, listener.Bound ? "yes" : "no");
        }

        output.Append('\n');
        listeners.WriteTo(output);

        // Counters as rows and listeners as columns: 13 counters stay readable with several listeners.
        var counters = new TextTable(["counter", .. stats.Listeners.Select(l => l.Name)]);
        IEnumerable<string> names = stats.Listeners.SelectMany(l => l.Counters.Keys).Distinct();
        foreach (string name in names)
        {
            counters.Add([name, .. stats.Listeners.Select(l => Number(l.Counters.GetValueOrDefault(name)))]);
        }

        output.Append('\n');
        counters.WriteTo(output);
        if (stats.Reload is { LastResult: not null } reload)
        {
            output.Append(CultureInfo.InvariantCulture, $"\nconfig reload: last {reload.LastResult} ({reload.LastTrigger}) at {reload.LastAt:yyyy-MM-ddTHH:mm:ssZ}; {reload.Applied} applied, {reload.Rejected} rejected\n");
            foreach (string error in reload.LastErrors)
            {
                output.Append(CultureInfo.InvariantCulture, $"  {error}\n");
            }
        }

        return output.ToString();
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
