namespace ToaProxy.Diagnostics;

/// <summary>One doctor line: what was checked, what was found, and for WARN/FAIL how to fix it.</summary>
public sealed record CheckResult(CheckStatus Status, string Name, string Message, string? Fix = null)
{
    public static CheckResult Ok(string name, string message) => new(CheckStatus.Ok, name, message);

    public static CheckResult Warn(string name, string message, string fix) => new(CheckStatus.Warn, name, message, fix);

    public static CheckResult Fail(string name, string message, string fix) => new(CheckStatus.Fail, name, message, fix);
}
