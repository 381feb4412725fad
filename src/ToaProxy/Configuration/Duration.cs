using System.Globalization;

namespace ToaProxy.Configuration;

/// <summary>Durations as operators write them in HAProxy/nginx configs ("250ms", "5s", "2m", "1h"),
/// or as .NET TimeSpan text ("00:00:05").</summary>
public static class Duration
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        string s = text.Trim();
        (string suffix, double unitMs)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)];
        foreach ((string suffix, double unitMs) in units)
        {
            if (s.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(s[..^suffix.Length], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double n)
                && n >= 0)
            {
                value = TimeSpan.FromMilliseconds(n * unitMs);
                return true;
            }
        }

        if (s == "0")
        {
            return true;
        }

        return s.Contains(':') && TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
    }

    public static string Format(TimeSpan value) =>
        value.TotalMilliseconds < 1000 || value.Milliseconds != 0
            ? $"{value.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms"
            : $"{value.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s";
}
