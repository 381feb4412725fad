namespace ToaProxy.Testing;

/// <summary>The fixed response body of a test backend. Restricted to characters that need no
/// quoting in nginx or HAProxy configuration, so it can be pasted into either verbatim.</summary>
public static class BackendBody
{
    public static string Validate(string body)
    {
        if (body.Length == 0 || !body.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or ' '))
        {
            throw new ArgumentException($"Body '{body}' must be non-empty ASCII letters, digits, space or -_.:", nameof(body));
        }

        return body;
    }
}
