using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace ToaProxy.Configuration;

/// <summary>
/// Finds keys under the ToaProxy section that no option reads. The binder ignores them, so a typo
/// ("Upstreamx", "TrustedSource") would otherwise silently leave the default in force — the way nginx
/// and HAProxy refuse an unknown directive, they are errors that name the key.
/// </summary>
public static class UnknownConfigurationKeys
{
    public static void Report(IConfiguration configuration, List<string> errors)
    {
        IConfigurationSection root = configuration.GetSection(ToaProxyOptions.SectionName);
        Walk(root, typeof(ToaProxyOptions), errors);
    }

    private static void Walk(IConfigurationSection section, Type type, List<string> errors)
    {
        if (ElementType(type) is { } element)
        {
            foreach (IConfigurationSection child in section.GetChildren())
            {
                if (!int.TryParse(child.Key, out _))
                {
                    errors.Add($"{child.Path}: \"{child.Key}\" is not a list index (the value of {section.Path} is a list)");
                    continue;
                }

                Walk(child, element, errors);
            }

            return;
        }

        if (!IsSection(type))
        {
            return;
        }

        PropertyInfo[] properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance);
        foreach (IConfigurationSection child in section.GetChildren())
        {
            PropertyInfo? property = properties.FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                errors.Add($"{child.Path}: unknown key (known here: {string.Join(", ", properties.Select(p => p.Name))})");
                continue;
            }

            Walk(child, property.PropertyType, errors);
        }
    }

    private static Type? ElementType(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        return type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? type.GetGenericArguments()[0] : null;
    }

    // The option classes of this namespace are sections; strings, numbers and enums are leaf values.
    private static bool IsSection(Type type) => type.IsClass && type.Namespace == typeof(ToaProxyOptions).Namespace;
}
