using System.Globalization;
using System.Net;
using ToaProxy.Capture.Iptables;
using ToaProxy.Cli;
using ToaProxy.Protocol;
using ToaProxy.Testing;

namespace ToaProxy.Tests.Cli;

/// <summary>
/// <c>toaproxy emulate</c> run as users run it (the published executable): the listener's own saved
/// SYN shows the inserted option, a line is printed per connection, and the tagged rule is gone
/// after SIGTERM and after --duration.
/// </summary>
public sealed class EmulateCommandTests
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(15);

    [SkippableFact]
    public async Task Emulate_inserts_the_chosen_option_and_removes_its_rule_on_sigterm()
    {
        Requires.Root();
        Requires.Command("iptables");
        using var listener = new SavedSynListener();
        int port = listener.EndPoint.Port;
        try
        {
            using ExternalProcess emulate = StartEmulate(port, "--kind", "253", "--client", "[2001:db8::7]:4242", "--duration", "2m");

            (int clientPort, ToaOption[] options) = await listener.ConnectAndReadSynAsync(Step);

            ToaOption toa = Assert.Single(options);
            Assert.Equal((253, 20), (toa.Kind, toa.Length));
            Assert.Equal(IPAddress.Parse("2001:db8::7"), toa.Client.ToIPAddress());
            Assert.Equal(4242, toa.ClientPort);
            Assert.NotNull(emulate.WaitForOutputLine(l => l.Contains($":{clientPort} -> 127.0.0.1:{port}  TOA 253/20 client [2001:db8::7]:4242", StringComparison.Ordinal), Step));
            Assert.NotEmpty(IptablesRuleSet.ListTagged($"emulate-{port}"));

            emulate.Terminate();
            Assert.True(emulate.WaitForExit(Step), emulate.Describe());
            Assert.True(emulate.ExitCode == 0, emulate.Describe());
            Assert.Contains("emulate: iptables rules removed", emulate.StandardOutput);
            Assert.Empty(IptablesRuleSet.ListTagged($"emulate-{port}"));
        }
        finally
        {
            IptablesRuleSet.RemoveAllTagged($"emulate-{port}");
        }
    }

    [SkippableFact]
    public async Task Emulate_derives_a_client_per_connection_and_stops_by_itself_after_duration()
    {
        Requires.Root();
        Requires.Command("iptables");
        using var listener = new SavedSynListener();
        int port = listener.EndPoint.Port;
        try
        {
            using ExternalProcess emulate = StartEmulate(port, "--kind", "200", "--derive", "--duration", "3s");

            (int clientPort, ToaOption[] options) = await listener.ConnectAndReadSynAsync(Step);

            ToaOption toa = Assert.Single(options);
            Assert.Equal((200, 8), (toa.Kind, toa.Length));
            Assert.Equal(IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"203.0.113.{1 + (clientPort % 250)}")), toa.Client.ToIPAddress());
            Assert.Equal(clientPort, toa.ClientPort);
            Assert.True(emulate.WaitForExit(Step), emulate.Describe());
            Assert.True(emulate.ExitCode == 0, emulate.Describe());
            Assert.Empty(IptablesRuleSet.ListTagged($"emulate-{port}"));
        }
        finally
        {
            IptablesRuleSet.RemoveAllTagged($"emulate-{port}");
        }
    }

    [Theory]
    [InlineData("200", "2001:db8::1", null, "is IPv6, but kind 200 length 8 carries IPv4")]
    [InlineData("201", null, null, "--kind \"201\" is not one of 200, 254, 253, 254v6")]
    [InlineData("254", "198.51.100.7", "rst", "--on \"rst\" is not one of syn, ack-data, all")]
    public async Task Wrong_options_are_refused_before_anything_is_installed(string kind, string? client, string? on, string message)
    {
        var output = new StringWriter();
        var errors = new StringWriter();

        int exit = await EmulateCommand.RunAsync(new EmulateRequest(8080, kind, client, false, on ?? "syn", 4243, null), output, errors, CancellationToken.None);

        Assert.Equal(1, exit);
        Assert.Contains(message, errors.ToString());
        Assert.Empty(output.ToString());
    }

    private static ExternalProcess StartEmulate(int port, params string[] arguments)
    {
        ExternalProcess emulate = ExternalProcess.Start(
            PublishedToaproxy.ExecutablePath,
            ["emulate", "--port", port.ToString(CultureInfo.InvariantCulture), "--queue", KernelIds.NextQueue().ToString(CultureInfo.InvariantCulture), .. arguments]);
        if (emulate.WaitForOutputLine(l => l.StartsWith("emulate: inserting", StringComparison.Ordinal), Step) is null)
        {
            string description = emulate.Describe();
            emulate.Dispose();
            throw new InvalidOperationException($"toaproxy emulate did not start:\n{description}");
        }

        return emulate;
    }
}
