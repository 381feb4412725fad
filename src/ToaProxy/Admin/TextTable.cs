using System.Text;

namespace ToaProxy.Admin;

/// <summary>Rows rendered as aligned, space-separated columns (numbers right-aligned), for ?format=text and the CLI.</summary>
public sealed class TextTable
{
    private readonly string[] _headers;
    private readonly List<string[]> _rows = [];

    public TextTable(params string[] headers)
    {
        _headers = headers;
    }

    public TextTable Add(params string[] cells)
    {
        if (cells.Length != _headers.Length)
        {
            throw new ArgumentException($"expected {_headers.Length} cells, got {cells.Length}", nameof(cells));
        }

        _rows.Add(cells);
        return this;
    }

    public void WriteTo(StringBuilder output)
    {
        int[] widths = [.. _headers.Select((h, i) => _rows.Aggregate(h.Length, (w, r) => Math.Max(w, r[i].Length)))];
        // A column is numeric (right-aligned) when it holds numbers and "-" placeholders only.
        bool[] numeric = [.. _headers.Select((_, i) => _rows.Any(r => IsNumber(r[i])) && _rows.All(r => IsNumber(r[i]) || r[i] == "-"))];
        WriteLine(output, _headers, widths, numeric);
        foreach (string[] row in _rows)
        {
            WriteLine(output, row, widths, numeric);
        }
    }

    public override string ToString()
    {
        var output = new StringBuilder();
        WriteTo(output);
        return output.ToString();
    }

    private static void WriteLine(StringBuilder output, string[] cells, int[] widths, bool[] numeric)
    {
        var line = new StringBuilder();
        for (int i = 0; i < cells.Length; i++)
        {
            if (i > 0)
            {
                line.Append("  ");
            }

            line.Append(numeric[i] ? cells[i].PadLeft(widths[i]) : cells[i].PadRight(widths[i]));
        }

        output.Append(line.ToString().TrimEnd()).Append('\n');
    }

    private static bool IsNumber(string cell) => cell.Any(char.IsAsciiDigit) && cell.All(c => char.IsAsciiDigit(c) || c == '.');
}
