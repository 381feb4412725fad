namespace ToaProxy.Capture.Tests;

/// <summary>Every wait of <see cref="SystemCommand"/> is bounded, including reading the tool's output.</summary>
public sealed class SystemCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(0.5);

    [Fact]
    public void A_tool_that_does_not_finish_fails_with_a_timeout_naming_its_command_line()
    {
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => SystemCommand.Run("sleep", ["30"], Timeout, Fail));

        Assert.Equal("'sleep 30' did not finish within 0.5 s", e.Message);
        Assert.IsType<TimeoutException>(e.InnerException);
    }

    [Fact]
    public async Task Commands_started_together_and_finished_without_blocking_time_out_naming_the_one_that_stalled()
    {
        using var started = new SystemCommandGroup();
        SystemCommand quick = started.Add(SystemCommand.Start("echo", ["answer"], Fail));
        SystemCommand stalled = started.Add(SystemCommand.Start("sleep", ["30"], Fail));

        Assert.Equal("answer\n", await quick.FinishAsync(Timeout));
        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => stalled.FinishAsync(Timeout));

        Assert.Equal("'sleep 30' did not finish within 0.5 s", e.Message);
        Assert.IsType<TimeoutException>(e.InnerException);
    }

    [Fact]
    public void A_tool_whose_left_behind_child_holds_its_output_open_fails_with_a_timeout()
    {
        // sh exits at once; the background sleep keeps the stdout pipe open for 3 s, so the output
        // never ends within the timeout. (The sleep, no longer the tool's child, ends by itself.)
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => SystemCommand.Run("sh", ["-c", "sleep 3 & echo started"], Timeout, Fail));

        Assert.IsType<TimeoutException>(e.InnerException);
    }

    [Fact]
    public void A_failing_tool_is_described_by_its_exit_code_and_stderr()
    {
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => SystemCommand.Run("sh", ["-c", "echo broken >&2; exit 3"], TimeSpan.FromSeconds(10), Fail));

        Assert.Equal("'sh -c echo broken >&2; exit 3' exited with 3: broken", e.Message);
        Assert.Null(e.InnerException);
    }

    private static InvalidOperationException Fail(string message, Exception? cause) => new(message, cause);
}
