namespace ToaProxy.Capture;

/// <summary>
/// Commands started together, so that finishing each with the same timeout bounds them all by it
/// rather than by the sum; disposing kills those still running (e.g. after another one failed).
/// </summary>
public sealed class SystemCommandGroup : IDisposable
{
    private readonly List<SystemCommand> _commands = [];

    public SystemCommand Add(SystemCommand command)
    {
        _commands.Add(command);
        return command;
    }

    public void Dispose()
    {
        foreach (SystemCommand command in _commands)
        {
            command.Dispose();
        }
    }
}
