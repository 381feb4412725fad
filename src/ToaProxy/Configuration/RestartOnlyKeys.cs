namespace ToaProxy.Configuration;

/// <summary>
/// The keys a reload cannot change on a running proxy: the capture's backend and what it opens, the
/// flow table's size and timeout, the admin endpoint, and the shutdown timeout (the host's stop deadline
/// is derived from it at start). A reload changing one is rejected whole,
/// naming the key, so the running configuration never half-matches the file.
/// </summary>
public static class RestartOnlyKeys
{
    public static void Check(ProxySettings running, ProxySettings next, List<string> errors)
    {
        const string capture = $"{ToaProxyOptions.SectionName}:Capture";
        CaptureSettings a = running.Capture;
        CaptureSettings b = next.Capture;
        Compare($"{capture}:Backend", a.Backend.ToString().ToLowerInvariant(), b.Backend.ToString().ToLowerInvariant(), errors);
        Compare($"{capture}:Interface", a.Interface, b.Interface, errors);
        Compare($"{capture}:QueueNumber", a.QueueNumber.ToString(System.Globalization.CultureInfo.InvariantCulture), b.QueueNumber.ToString(System.Globalization.CultureInfo.InvariantCulture), errors);
        Compare($"{capture}:ManageRules", a.ManageRules ? "true" : "false", b.ManageRules ? "true" : "false", errors);
        Compare($"{capture}:StripOption", a.StripOption ? "true" : "false", b.StripOption ? "true" : "false", errors);
        Compare($"{capture}:FlowTimeout", Duration.Format(a.FlowTimeout), Duration.Format(b.FlowTimeout), errors);
        Compare($"{capture}:MaxFlows", a.MaxFlows.ToString(System.Globalization.CultureInfo.InvariantCulture), b.MaxFlows.ToString(System.Globalization.CultureInfo.InvariantCulture), errors);
        Compare($"{ToaProxyOptions.SectionName}:ShutdownTimeout", Duration.Format(running.ShutdownTimeout), Duration.Format(next.ShutdownTimeout), errors);
        Compare($"{ToaProxyOptions.SectionName}:Admin:Listen", running.AdminEndpoint?.ToString() ?? "off", next.AdminEndpoint?.ToString() ?? "off", errors);
    }

    private static void Compare(string key, string running, string next, List<string> errors)
    {
        if (running != next)
        {
            errors.Add($"{key}: \"{next}\" differs from the running \"{running}\"; this key applies only at start (restart toaproxy to change it)");
        }
    }
}
