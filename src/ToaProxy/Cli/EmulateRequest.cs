namespace ToaProxy.Cli;

/// <summary>The options of <c>toaproxy emulate</c> as given on the command line.</summary>
internal sealed record EmulateRequest(int Port, string Kind, string? Client, bool Derive, string On, int Queue, string? Duration, bool Quiet = false);
