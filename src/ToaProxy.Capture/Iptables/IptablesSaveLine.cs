using System.Text;

namespace ToaProxy.Capture.Iptables;

/// <summary>Splits a line of <c>iptables -S</c> output into arguments (double quotes group, backslash escapes).</summary>
internal static class IptablesSaveLine
{
    public static List<string> Split(string line)
    {
        var arguments = new List<string>();
        var current = new StringBuilder();
        bool inQuotes = false;
        bool inArgument = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '\\' && i + 1 < line.Length)
            {
                current.Append(line[++i]);
                inArgument = true;
            }
            else if (c == '"')
            {
                inQuotes = !inQuotes;
                inArgument = true;
            }
            else if (c == ' ' && !inQuotes)
            {
                if (inArgument)
                {
                    arguments.Add(current.ToString());
                    current.Clear();
                    inArgument = false;
                }
            }
            else
            {
                current.Append(c);
                inArgument = true;
            }
        }

        if (inArgument)
        {
            arguments.Add(current.ToString());
        }

        return arguments;
    }
}
