namespace ToaProxy.Diagnostics;

/// <summary>Outcome of one doctor check; any <see cref="Fail"/> makes <c>toaproxy doctor</c> exit 1.</summary>
public enum CheckStatus
{
    Ok,
    Warn,
    Fail,
}
